import request from 'supertest';
import type { TestUser, World } from './world';
import { eventually } from './world';

/** Thin helpers over the real HTTP API (supertest against the real app). */
export function dealApi(world: World) {
  const app = world.app;
  return {
    async create(as: TestUser, body: Record<string, unknown>, headers: Record<string, string> = {}) {
      return request(app).post('/deals').set(as.auth).set(headers).send(body);
    },
    /** A deal on `processKey` with this triangle; `over` replaces any other field of the body. */
    async createOn(
      as: TestUser,
      processKey: string,
      triangle: { AR: string; SR: string; FR: string },
      over: Record<string, unknown> = {},
    ) {
      return this.create(as, {
        title: 'Test deal',
        account: { name: 'Acme' },
        value: { amount: 1, currency: 'USD' },
        triangle,
        process: { key: processKey },
        ...over,
      });
    },
    async get(as: TestUser, id: string) {
      return request(app).get(`/deals/${id}`).set(as.auth);
    },
    async sign(
      as: TestUser,
      id: string,
      body: { stage: string; role?: string; decision?: 'approve' | 'reject'; comment?: string },
      headers: Record<string, string> = {},
    ) {
      return request(app)
        .post(`/deals/${id}/signoffs`)
        .set(as.auth)
        .set(headers)
        .send({ decision: 'approve', ...body });
    },
    async command(
      as: TestUser,
      id: string,
      kind: 'hold' | 'resume' | 'cancel' | 'reassign',
      body: object = {},
    ) {
      return request(app).post(`/deals/${id}/${kind}`).set(as.auth).send(body);
    },
    async amend(as: TestUser, id: string, value: { amount: number; currency: string }) {
      return request(app).patch(`/deals/${id}`).set(as.auth).send({ value });
    },
    async timeline(as: TestUser, id: string) {
      const items: {
        seq: number;
        type: string;
        stage: string | null;
        actorId: string;
        onBehalfOfId: string | null;
        data: Record<string, unknown>;
      }[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await request(app)
          .get(`/deals/${id}/timeline`)
          .query({ limit: 200, ...(cursor ? { cursor } : {}) })
          .set(as.auth);
        if (res.status !== 200) throw new Error(`timeline ${res.status}: ${JSON.stringify(res.body)}`);
        items.push(...res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor);
      return items;
    },
    /** Wait until the deal is at `stage` (or has `status`). */
    async waitFor(
      as: TestUser,
      id: string,
      want: { stage?: string; visit?: number; status?: string },
      timeoutMs = 20_000,
    ) {
      return eventually(async () => {
        const res = await request(app).get(`/deals/${id}`).set(as.auth);
        const d = res.body;
        if (want.status && d.status !== want.status) return undefined;
        if (want.stage && d.stage?.key !== want.stage) return undefined;
        if (want.visit && d.stage?.visit !== want.visit) return undefined;
        return d;
      }, timeoutMs);
    },
  };
}
