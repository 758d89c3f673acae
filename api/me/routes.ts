import express from 'express';
import type { FeatureRoutes } from '../feature';

/** TODO: endpoints of this feature. */
export const meRoutes: FeatureRoutes = (_registry, _deps) => {
  const router = express.Router();
  return router;
};
