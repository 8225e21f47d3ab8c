/**
 * What the loader keeps between runs on this machine, per Steward URL: the secrets the API shows once
 * (the demo people's user tokens, the ingest API keys), so a later run prints the tokens again and
 * ingests with the agents' key. A file in `.steward/` (gitignored), readable by its owner only. Losing it
 * loses nothing in Steward: a new token for a demo person is `npm run user-token -- --email <email>`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DemoRole, DemoWorkspaceKey } from './demo-data';

export interface DemoSecrets {
  /** Tokens of the demo people by role (the owner's when it was given). */
  tokens: Partial<Record<DemoRole, string>>;
  /** The ingest API key of each workspace. */
  ingestKeys: Partial<Record<DemoWorkspaceKey, string>>;
}

type StateFile = Record<string, DemoSecrets>;

export class DemoState {
  constructor(readonly path: string) {}

  load(url: string): DemoSecrets {
    const all = this.readAll();
    const found = all[url];
    return { tokens: { ...found?.tokens }, ingestKeys: { ...found?.ingestKeys } };
  }

  save(url: string, secrets: DemoSecrets): void {
    const all = this.readAll();
    all[url] = secrets;
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    chmodSync(this.path, 0o600);
  }

  private readAll(): StateFile {
    if (!existsSync(this.path)) return {};
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as StateFile;
    } catch {
      return {};
    }
  }
}
