import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const file = process.env.LTC_WORKFLOW_BUNDLE;
  if (file && fs.existsSync(file)) fs.rmSync(file);
}
