import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { WorkspaceStatus } from '@steward/contracts';

export interface WorkspacesTable {
  id: string;
  organization_id: string;
  name: string;
  status: WorkspaceStatus;
  created_by: string;
  created_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: ColumnType<Date, Date | string, Date | string>;
}

export type WorkspaceRow = Selectable<WorkspacesTable>;
export type NewWorkspaceRow = Insertable<WorkspacesTable>;
export type WorkspaceRowUpdate = Updateable<WorkspacesTable>;
