import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const file = process.env.LTC_WORKFLOW_BUNDLE;
  // A shared bundle (npm run test:alone) belongs to the script that made it.
  if (file && file !== process.env.LTC_SHARED_WORKFLOW_BUNDLE && fs.existsSync(file)) fs.rmSync(file);
}
