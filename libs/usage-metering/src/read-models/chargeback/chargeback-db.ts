import type { UsageCallsTable } from './usage-calls.table';
import type { UsageAgentRollupsTable, UsageModelRollupsTable, UsageRollupsTable, UsageWorkspaceRollupsTable } from './usage-rollups.table';
import type { UsageStatementLinesTable } from './usage-statement-lines.table';

/** The `chargeback` read model (schema `rm_chargeback`). */
export interface ChargebackDB {
  usage_rollups: UsageRollupsTable;
  usage_workspace_rollups: UsageWorkspaceRollupsTable;
  usage_model_rollups: UsageModelRollupsTable;
  usage_agent_rollups: UsageAgentRollupsTable;
  usage_calls: UsageCallsTable;
  usage_statement_lines: UsageStatementLinesTable;
}
