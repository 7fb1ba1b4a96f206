import { parseFileConfig, ConfigError } from '../../src/config/load-config.js';

const withBackup = (backup: string): string => `
slack: { channel: C0MIGRATE1 }
environments:
  production:
    database: { urlEnv: PROD_DATABASE_URL }
    ${backup}
`;

function problemsOf(text: string): string[] {
  try {
    parseFileConfig(text, '/srv/app');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('backup.format and backup.jobs', () => {
  it('default to one custom-format file, with or without a backup block', () => {
    for (const text of [withBackup(''), withBackup('backup: { keep: 3 }')]) {
      const backup = parseFileConfig(text, '/srv/app').environments.production?.backup;
      expect(backup).toMatchObject({ format: 'custom', jobs: 1 });
    }
  });

  it('take a directory format dumped by parallel jobs', () => {
    const file = parseFileConfig(withBackup('backup: { format: directory, jobs: 4 }'), '/srv/app');
    expect(file.environments.production?.backup).toMatchObject({ format: 'directory', jobs: 4 });
  });

  it('refuse jobs with the custom format, an unknown format and jobs below 1', () => {
    expect(problemsOf(withBackup('backup: { jobs: 2 }')).join('\n')).toMatch(
      /jobs > 1 needs backup.format: directory/,
    );
    expect(problemsOf(withBackup('backup: { format: tar }'))).not.toEqual([]);
    expect(problemsOf(withBackup('backup: { format: directory, jobs: 0 }'))).not.toEqual([]);
  });
});
