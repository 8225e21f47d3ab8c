/**
 * Add Runtime and Edit (admin guide, part 3): Runtime Name, the provider (when adding), the provider's fields
 * generated from its JSON Schema, and "Set as default runtime for this workspace" when adding. An edit sends the
 * name and the fields that changed; a secret left empty keeps its stored value. The API's refusals show on the
 * fields they name.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { type FormEvent, useMemo, useState } from 'react';
import { ApiProblem } from '../../api/client';
import { RUNTIMES } from '../../texts';
import { type ConfigValues, ConfigFields, type ObjectSchema, configToSend, initialValues } from './config-fields';
import { type ProviderCategory, type Runtime, useCreateRuntime, useUpdateRuntime } from './runtime.queries';

export type RuntimeDialogMode = { readonly kind: 'create'; readonly category: ProviderCategory } | { readonly kind: 'edit'; readonly runtime: Runtime; readonly category: ProviderCategory };

function fieldErrors(error: unknown): { fields: Record<string, string>; name?: string; other?: string } {
  if (!(error instanceof ApiProblem)) return error instanceof Error ? { fields: {}, other: error.message } : { fields: {} };
  const fields: Record<string, string> = {};
  let name: string | undefined;
  const unplaced: string[] = [];
  for (const issue of error.errors) {
    const config = /^body\.config\.([^.]+)/.exec(issue.field);
    if (config) fields[config[1]!] = issue.message;
    else if (issue.field === 'body.name') name = issue.message;
    else unplaced.push(`${issue.field}: ${issue.message}`);
  }
  const other = unplaced.length > 0 ? unplaced.join('; ') : error.errors.length === 0 ? error.message : undefined;
  return { fields, ...(name !== undefined ? { name } : {}), ...(other !== undefined ? { other } : {}) };
}

export function RuntimeDialog({ workspaceId, mode, onClose, onDone }: { workspaceId: string; mode: RuntimeDialogMode; onClose: () => void; onDone: (message: string) => void }) {
  const editing = mode.kind === 'edit' ? mode.runtime : undefined;
  const providers = mode.category.providers;
  const [providerId, setProviderId] = useState<string>(editing?.provider ?? providers[0]?.id ?? '');
  const provider = providers.find((candidate) => candidate.id === providerId);
  const schema = (provider?.configSchema ?? {}) as ObjectSchema;
  const stored = useMemo(() => initialValues(schema, editing?.config), [schema, editing]);
  const [name, setName] = useState(editing?.name ?? '');
  const [values, setValues] = useState<ConfigValues>(stored);
  const [setAsDefault, setSetAsDefault] = useState(false);
  const create = useCreateRuntime(workspaceId);
  const update = useUpdateRuntime(workspaceId);
  const pending = create.isPending || update.isPending;
  const refused = fieldErrors(create.error ?? update.error);
  // a field changed since the refusal no longer shows its message
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set());
  const errors = {
    ...refused,
    fields: Object.fromEntries(Object.entries(refused.fields).filter(([field]) => !edited.has(field))),
    name: edited.has('name') ? undefined : refused.name,
  };
  const touch = (field: string) => setEdited((current) => (current.has(field) ? current : new Set([...current, field])));
  const secretHints = Object.fromEntries(Object.entries(editing?.secrets ?? {}).map(([field, secret]) => [field, RUNTIMES.keepSecret(secret.hint)]));

  const chooseProvider = (id: string) => {
    setProviderId(id);
    const next = providers.find((candidate) => candidate.id === id);
    setValues(initialValues((next?.configSchema ?? {}) as ObjectSchema));
    create.reset();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (provider === undefined) return;
    setEdited(new Set());
    if (editing === undefined) {
      create.mutate(
        { name: name.trim(), provider: provider.id, config: configToSend(schema, values), ...(setAsDefault ? { setAsDefault: true } : {}) },
        { onSuccess: (runtime) => onDone(RUNTIMES.created(runtime.name)) },
      );
      return;
    }
    const config = configToSend(schema, values, (field, value) => value !== stored[field]);
    update.mutate(
      { id: editing.id, body: { ...(name.trim() !== editing.name ? { name: name.trim() } : {}), ...(Object.keys(config).length > 0 ? { config } : {}) } },
      { onSuccess: () => onDone(RUNTIMES.saved(name.trim())) },
    );
  };

  const title = editing !== undefined ? RUNTIMES.editTitle(editing.name) : RUNTIMES.newTitle(mode.category.label);
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="runtime-dialog-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="runtime-dialog-title">{title}</DialogTitle>
        <DialogContent dividers>
          <Stack spacing={2}>
            {errors.other !== undefined && <Alert severity="error">{errors.other}</Alert>}
            <TextField label={RUNTIMES.runtimeName} value={name} required onChange={(event) => {
                setName(event.target.value);
                touch('name');
              }}
              error={errors.name !== undefined} helperText={errors.name} autoFocus />
            <TextField select label={RUNTIMES.provider} value={providerId} disabled={editing !== undefined} onChange={(event) => chooseProvider(event.target.value)}>
              {providers.map((candidate) => (
                <MenuItem key={candidate.id} value={candidate.id}>
                  {candidate.label}
                </MenuItem>
              ))}
            </TextField>
            <ConfigFields
              schema={schema}
              values={values}
              errors={errors.fields}
              secretHints={secretHints}
              onChange={(field, value) => {
                setValues((current) => ({ ...current, [field]: value }));
                touch(field);
              }}
            />
            {editing === undefined && <FormControlLabel control={<Checkbox checked={setAsDefault} onChange={(event) => setSetAsDefault(event.target.checked)} />} label={RUNTIMES.setAsDefault} />}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>{RUNTIMES.cancel}</Button>
          <Button type="submit" variant="contained" loading={pending} disabled={name.trim() === '' || provider === undefined}>
            {editing !== undefined ? RUNTIMES.saveRuntime : RUNTIMES.createRuntime}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
