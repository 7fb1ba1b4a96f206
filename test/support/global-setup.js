// Jest loads global set-up files outside its module system, so this one is plain JavaScript and
// loads the TypeScript cluster helper through tsx.
import { tsImport } from 'tsx/esm/api';

/** Starts one PostgreSQL cluster for the whole test run; each test file makes its own database on it. */
export default async function globalSetup() {
  const { startCluster } = await tsImport('./pg-cluster.ts', import.meta.url);
  const info = await startCluster();
  process.env.DRAWBRIDGE_TEST_PG = JSON.stringify(info);
}
