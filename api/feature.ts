import type { Client } from '@temporalio/client';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import type { WebhookTargetPolicy } from '../notifications/webhook-target';
import type { DealService } from './deals/service';
import type { Metrics } from './http/metrics';
import type { RouteRegistry } from './http/route';

/** What every feature router receives. Routers declare full paths (`/users/me`) and mount at `/`. */
export interface FeatureDeps {
  db: Db;
  temporal: Client;
  deals: DealService;
  metrics: Metrics;
  logger: Logger;
  publicUrl: string;
  taskQueue: string;
  namespace: string;
  /** Which hosts webhooks may point at; default: public addresses only. */
  webhookPolicy?: WebhookTargetPolicy;
}

export type FeatureRoutes = (registry: RouteRegistry, deps: FeatureDeps) => Router;
