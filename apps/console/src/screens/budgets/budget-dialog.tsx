/**
 * Defining or changing a budget: name, scope (the whole workspace, an agent, a provider / model or an API key),
 * period, the limit as exact decimal text (never a JS number), the thresholds in percent and the enforcement.
 * A change sends only the fields that changed. A field the API refuses is shown on that field.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { type FormEvent, useState } from 'react';
import { ApiProblem } from '../../api/client';
import { BUDGETS } from '../../texts';
import { type Budget, type BudgetDefinition, type BudgetEnforcement, type BudgetPeriod, type BudgetScope, idempotencyKey, useSaveBudget } from './budgets.queries';

type ScopeKind = keyof typeof BUDGETS.scopes;

function scopeKindOf(scope: BudgetScope | undefined): ScopeKind {
  if (scope?.apiKeyId) return 'apiKey';
  if (scope?.provider || scope?.model) return 'model';
  if (scope?.agent) return 'agent';
  return 'workspace';
}

/** `50, 80, 100` → [50, 80, 100]; undefined when a part is not a whole number. */
export function parseThresholds(text: string): number[] | undefined {
  const parts = text.split(/[,\s]+/).filter((part) => part !== '');
  if (parts.some((part) => !/^\d+$/.test(part))) return undefined;
  return parts.map(Number);
}

/** The API's field (`body.scope.agent`, `body.thresholds.1`) → the form's. */
function formFieldOf(field: string): string | undefined {
  const match = /^body\.(name|period|limitUsd|thresholds|enforcement|timeZone|scope)(?:\.(agent|provider|model|apiKeyId))?/.exec(field);
  if (match === null) return undefined;
  return match[2] ?? match[1];
}

export function BudgetDialog({ workspaceId, budget, onClose, onSaved }: { workspaceId: string; budget?: Budget; onClose: () => void; onSaved: (message: string) => void }) {
  const [name, setName] = useState(budget?.name ?? '');
  const [scopeKind, setScopeKind] = useState<ScopeKind>(scopeKindOf(budget?.scope));
  const [agent, setAgent] = useState(budget?.scope.agent ?? '');
  const [provider, setProvider] = useState(budget?.scope.provider ?? '');
  const [model, setModel] = useState(budget?.scope.model ?? '');
  const [apiKeyId, setApiKeyId] = useState(budget?.scope.apiKeyId ?? '');
  const [period, setPeriod] = useState<BudgetPeriod>(budget?.period ?? 'monthly');
  const [limitUsd, setLimitUsd] = useState(budget?.limitUsd ?? '');
  const [thresholds, setThresholds] = useState((budget?.thresholds ?? [50, 80, 100]).join(', '));
  const [enforcement, setEnforcement] = useState<BudgetEnforcement>(budget?.enforcement ?? 'notify');
  const [key] = useState(idempotencyKey);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const save = useSaveBudget(workspaceId);

  const errors = save.error instanceof ApiProblem ? save.error.errors : [];
  const fieldError = (field: string) => localErrors[field] ?? errors.find((error) => formFieldOf(error.field) === field)?.message;
  const otherError = save.error !== null && errors.every((error) => formFieldOf(error.field) === undefined) ? save.error.message : undefined;

  const scope = (): BudgetScope => {
    if (scopeKind === 'agent') return { agent: agent.trim() };
    if (scopeKind === 'model') return { provider: provider.trim(), ...(model.trim() !== '' ? { model: model.trim() } : {}) };
    if (scopeKind === 'apiKey') return { apiKeyId: apiKeyId.trim() };
    return {};
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseThresholds(thresholds);
    if (parsed === undefined) {
      setLocalErrors({ thresholds: BUDGETS.thresholdsHelp });
      return;
    }
    setLocalErrors({});
    const full: BudgetDefinition = { name: name.trim(), scope: scope(), period, limitUsd: limitUsd.trim(), thresholds: parsed, enforcement };
    let body: Partial<BudgetDefinition> = full;
    if (budget !== undefined) {
      body = {
        ...(full.name !== budget.name ? { name: full.name } : {}),
        ...(JSON.stringify(full.scope) !== JSON.stringify(budget.scope) ? { scope: full.scope } : {}),
        ...(full.period !== budget.period ? { period: full.period } : {}),
        ...(full.limitUsd !== budget.limitUsd ? { limitUsd: full.limitUsd } : {}),
        ...(JSON.stringify(parsed) !== JSON.stringify(budget.thresholds) ? { thresholds: parsed } : {}),
        ...(full.enforcement !== budget.enforcement ? { enforcement: full.enforcement } : {}),
      };
      if (Object.keys(body).length === 0) {
        onClose();
        return;
      }
    }
    save.mutate({ ...(budget !== undefined ? { id: budget.id } : {}), body, key }, { onSuccess: () => onSaved(BUDGETS.saved(full.name)) });
  };

  const title = budget !== undefined ? BUDGETS.edit(budget.name) : BUDGETS.createTitle;
  const text = (label: string, field: string, value: string, set: (value: string) => void, extra: { helperText?: string; required?: boolean; inputMode?: 'decimal' } = {}) => (
    <TextField
      label={label}
      value={value}
      required={extra.required ?? false}
      onChange={(event) => set(event.target.value)}
      error={!!fieldError(field)}
      helperText={fieldError(field) ?? extra.helperText}
      slotProps={{ htmlInput: extra.inputMode ? { inputMode: extra.inputMode } : {} }}
      fullWidth
    />
  );

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="budget-dialog-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="budget-dialog-title">{title}</DialogTitle>
        <DialogContent dividers>
          <Stack spacing={2}>
            {otherError !== undefined && <Alert severity="error">{otherError}</Alert>}
            {text(BUDGETS.name, 'name', name, setName, { required: true })}
            <TextField select label={BUDGETS.scope} value={scopeKind} onChange={(event) => setScopeKind(event.target.value as ScopeKind)} slotProps={{ select: { native: true } }} fullWidth>
              {(Object.keys(BUDGETS.scopes) as ScopeKind[]).map((kind) => (
                <option key={kind} value={kind}>
                  {BUDGETS.scopes[kind]}
                </option>
              ))}
            </TextField>
            {scopeKind === 'agent' && text(BUDGETS.agent, 'agent', agent, setAgent, { required: true })}
            {scopeKind === 'model' && (
              <Stack direction="row" spacing={2}>
                {text(BUDGETS.provider, 'provider', provider, setProvider, { required: true })}
                {text(BUDGETS.model, 'model', model, setModel)}
              </Stack>
            )}
            {scopeKind === 'apiKey' && text(BUDGETS.apiKeyId, 'apiKeyId', apiKeyId, setApiKeyId, { required: true })}
            <Stack direction="row" spacing={2}>
              <TextField select label={BUDGETS.period} value={period} onChange={(event) => setPeriod(event.target.value as BudgetPeriod)} error={!!fieldError('period')} helperText={fieldError('period')} slotProps={{ select: { native: true } }} fullWidth>
                {(Object.keys(BUDGETS.periods) as BudgetPeriod[]).map((option) => (
                  <option key={option} value={option}>
                    {BUDGETS.periods[option]}
                  </option>
                ))}
              </TextField>
              {text(BUDGETS.limitUsd, 'limitUsd', limitUsd, setLimitUsd, { required: true, helperText: BUDGETS.limitHelp, inputMode: 'decimal' })}
            </Stack>
            {text(BUDGETS.thresholds, 'thresholds', thresholds, setThresholds, { required: true, helperText: BUDGETS.thresholdsHelp })}
            <FormControl error={!!fieldError('enforcement')}>
              <FormLabel id="budget-enforcement-label">{BUDGETS.enforcement}</FormLabel>
              <RadioGroup aria-labelledby="budget-enforcement-label" value={enforcement} onChange={(event) => setEnforcement(event.target.value as BudgetEnforcement)}>
                {(Object.keys(BUDGETS.enforcements) as BudgetEnforcement[]).map((option) => (
                  <FormControlLabel key={option} value={option} control={<Radio />} label={BUDGETS.enforcements[option]} />
                ))}
              </RadioGroup>
            </FormControl>
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{BUDGETS.cancel}</Button>
          <Button type="submit" variant="contained" loading={save.isPending} disabled={name.trim() === '' || limitUsd.trim() === ''}>
            {BUDGETS.save}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
