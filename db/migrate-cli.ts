import { env } from '../config/env';
import { ensureDatabase, runMigrations } from './migrate';

async function main() {
  const url = env().DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is required (npm start sets it up for the embedded Postgres)');
    process.exit(2);
  }
  await ensureDatabase(url);
  await runMigrations(url);
  console.log('migrations applied');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
