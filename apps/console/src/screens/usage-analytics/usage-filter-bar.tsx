/** The filter bar (admin guide, part 2): Workspace, Time Period (Start and End Date for a Custom Range, days in the shown zone) and Agent. */
import Autocomplete from '@mui/material/Autocomplete';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { useEffect, useState } from 'react';
import type { Workspace } from '../../api/account.queries';
import { USAGE_ANALYTICS } from '../../texts';
import { PERIODS, type Period } from './usage.queries';

export interface FilterBarProps {
  readonly workspace: string;
  readonly workspaces: readonly Workspace[];
  readonly period: Period;
  readonly from: string;
  readonly to: string;
  readonly agent: string;
  readonly agents: readonly string[];
  readonly timeZone: string;
  onChange(changes: Partial<Record<'ws' | 'period' | 'from' | 'to' | 'agent', string>>): void;
}

export function UsageFilterBar(props: FilterBarProps) {
  const [agent, setAgent] = useState(props.agent);
  useEffect(() => setAgent(props.agent), [props.agent]);
  const commitAgent = (value: string) => {
    if (value.trim() !== props.agent) props.onChange({ agent: value.trim() });
  };
  return (
    <Paper component="section" aria-label="Filters" sx={{ p: 2 }}>
      <Stack direction="row" spacing={2} useFlexGap sx={{ flexWrap: 'wrap', alignItems: 'flex-start' }}>
        <TextField select size="small" label={USAGE_ANALYTICS.workspace} value={props.workspace} onChange={(event) => props.onChange({ ws: event.target.value })} sx={{ minWidth: 200 }}>
          <MenuItem value="all">{USAGE_ANALYTICS.allWorkspaces}</MenuItem>
          {props.workspaces.map((workspace) => (
            <MenuItem key={workspace.id} value={workspace.id}>
              {workspace.name}
            </MenuItem>
          ))}
        </TextField>
        <TextField select size="small" label={USAGE_ANALYTICS.timePeriod} value={props.period} onChange={(event) => props.onChange({ period: event.target.value })} sx={{ minWidth: 170 }}>
          {PERIODS.map((period) => (
            <MenuItem key={period} value={period}>
              {USAGE_ANALYTICS.periods[period]}
            </MenuItem>
          ))}
        </TextField>
        {props.period === 'custom' && (
          <>
            <TextField
              size="small"
              type="date"
              label={USAGE_ANALYTICS.startDate}
              value={props.from}
              onChange={(event) => props.onChange({ from: event.target.value })}
              slotProps={{ inputLabel: { shrink: true }, htmlInput: { max: props.to || undefined } }}
              helperText={props.timeZone}
            />
            <TextField
              size="small"
              type="date"
              label={USAGE_ANALYTICS.endDate}
              value={props.to}
              onChange={(event) => props.onChange({ to: event.target.value })}
              slotProps={{ inputLabel: { shrink: true }, htmlInput: { min: props.from || undefined } }}
              helperText={props.timeZone}
            />
          </>
        )}
        <Autocomplete
          freeSolo
          size="small"
          options={props.agents}
          inputValue={agent}
          onInputChange={(_event, value, reason) => {
            setAgent(value);
            if (reason === 'clear' || reason === 'selectOption') commitAgent(value);
          }}
          onChange={(_event, value) => commitAgent(value ?? '')}
          sx={{ minWidth: 220 }}
          renderInput={(params) => (
            <TextField
              {...params}
              label={USAGE_ANALYTICS.agent}
              placeholder={USAGE_ANALYTICS.allAgents}
              onBlur={() => commitAgent(agent)}
              onKeyDown={(event) => {
                if (event.key === 'Enter') commitAgent(agent);
              }}
            />
          )}
        />
      </Stack>
    </Paper>
  );
}
