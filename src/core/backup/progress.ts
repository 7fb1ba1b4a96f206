/** Progress of a backup or restore, for the live message and the thread. Messages are redacted. */
export interface BackupProgress {
  phase:
    | 'prepare'
    | 'dump'
    | 'checksum'
    | 'verify'
    | 'copy-off'
    | 'retention'
    | 'restore'
    | 'snapshot'
    | 'compare';
  message: string;
}

export type ProgressListener = (progress: BackupProgress) => void;
