import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const raw = process.env.DRAWBRIDGE_TEST_PG;
  if (!raw) return;
  const { stopCluster } = await tsImport('./pg-cluster.ts', import.meta.url);
  stopCluster(JSON.parse(raw));
}
