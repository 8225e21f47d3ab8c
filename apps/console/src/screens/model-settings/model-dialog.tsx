/**
 * Setting a model's prices (USD per 1M tokens, as providers publish them; the API stores them per token, exactly)
 * and its API key: a new key is sent once and never shown again, "Clear API key" removes it. Prices and key go
 * in one PUT, so they change together or not at all; a refused field is shown on that field.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import { type FormEvent, useState } from 'react';
import { ApiProblem } from '../../api/client';
import { MODEL_SETTINGS } from '../../texts';
import { type ModelChange, type ModelSettings, usePutModel } from './model.queries';

export interface ModelDialogTarget {
  readonly provider: string;
  readonly model: string;
  readonly settings?: ModelSettings;
}

const FIELD_OF: Readonly<Record<string, string>> = {
  'body.pricesPerMillionTokens.input': 'input',
  'body.pricesPerMillionTokens.output': 'output',
  'body.pricesPerMillionTokens.cacheRead': 'cacheRead',
  'body.apiKey': 'apiKey',
  'path.provider': 'provider',
  'path.model': 'model',
};

export function ModelDialog({ workspaceId, target, onClose, onSaved }: { workspaceId: string; target: ModelDialogTarget; onClose: () => void; onSaved: (message: string) => void }) {
  const current = target.settings?.currentPrice?.unitPricesPerMillionTokens;
  const editing = target.settings !== undefined;
  const [provider, setProvider] = useState(target.provider);
  const [model, setModel] = useState(target.model);
  const [input, setInput] = useState(current?.input ?? '');
  const [output, setOutput] = useState(current?.output ?? '');
  const [cacheRead, setCacheRead] = useState(current?.cacheRead ?? '');
  const [apiKey, setApiKey] = useState('');
  const put = usePutModel(workspaceId);

  const pricesChanged = input !== (current?.input ?? '') || output !== (current?.output ?? '') || cacheRead !== (current?.cacheRead ?? '');
  const pricesGiven = input.trim() !== '' && output.trim() !== '';
  const change: ModelChange | undefined =
    (pricesChanged && pricesGiven) || apiKey !== ''
      ? {
          ...(pricesChanged && pricesGiven
            ? { pricesPerMillionTokens: { input: input.trim(), output: output.trim(), ...(cacheRead.trim() !== '' ? { cacheRead: cacheRead.trim() } : {}) } }
            : {}),
          ...(apiKey !== '' ? { apiKey } : {}),
        }
      : undefined;

  const errors = put.error instanceof ApiProblem ? put.error.errors : [];
  const fieldError = (field: string) => errors.find((error) => FIELD_OF[error.field] === field)?.message;
  const otherError = put.error !== null && errors.every((error) => FIELD_OF[error.field] === undefined) ? put.error.message : undefined;

  const send = (body: ModelChange, message: string) =>
    put.mutate({ provider: provider.trim(), model: model.trim(), change: body }, { onSuccess: () => onSaved(message) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (change !== undefined) send(change, MODEL_SETTINGS.saved(model.trim()));
  };
  const title = editing ? MODEL_SETTINGS.edit(`${target.provider}/${target.model}`) : target.model ? `${MODEL_SETTINGS.setPrice}: ${target.provider}/${target.model}` : MODEL_SETTINGS.addModel;

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="model-dialog-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="model-dialog-title">{title}</DialogTitle>
        <DialogContent dividers>
          <Stack spacing={2}>
            {otherError !== undefined && <Alert severity="error">{otherError}</Alert>}
            <Stack direction="row" spacing={2}>
              <TextField label={MODEL_SETTINGS.provider} value={provider} required disabled={target.provider !== ''} onChange={(event) => setProvider(event.target.value)} error={!!fieldError('provider')} helperText={fieldError('provider')} fullWidth />
              <TextField label={MODEL_SETTINGS.model} value={model} required disabled={target.model !== ''} onChange={(event) => setModel(event.target.value)} error={!!fieldError('model')} helperText={fieldError('model')} fullWidth />
            </Stack>
            <Stack direction="row" spacing={2}>
              <TextField label={MODEL_SETTINGS.inputPrice} value={input} inputMode="decimal" onChange={(event) => setInput(event.target.value)} error={!!fieldError('input')} helperText={fieldError('input')} fullWidth />
              <TextField label={MODEL_SETTINGS.outputPrice} value={output} inputMode="decimal" onChange={(event) => setOutput(event.target.value)} error={!!fieldError('output')} helperText={fieldError('output')} fullWidth />
            </Stack>
            <TextField label={MODEL_SETTINGS.cacheReadPrice} value={cacheRead} inputMode="decimal" onChange={(event) => setCacheRead(event.target.value)} error={!!fieldError('cacheRead')} helperText={fieldError('cacheRead')} />
            <TextField
              label={MODEL_SETTINGS.apiKey}
              type="password"
              autoComplete="off"
              value={apiKey}
              onChange={(event) => setApiKey(event.target.value)}
              error={!!fieldError('apiKey')}
              helperText={fieldError('apiKey') ?? `${target.settings?.apiKey === 'Configured' ? MODEL_SETTINGS.configured : MODEL_SETTINGS.notConfigured}. ${MODEL_SETTINGS.apiKeyHelp}`}
            />
          </Stack>
        </DialogContent>
        <DialogActions>
          {target.settings?.apiKey === 'Configured' && (
            <Button color="error" disabled={put.isPending} onClick={() => send({ apiKey: null }, MODEL_SETTINGS.keyCleared(model))} sx={{ mr: 'auto' }}>
              {MODEL_SETTINGS.clearApiKey}
            </Button>
          )}
          <Button onClick={onClose}>{MODEL_SETTINGS.cancel}</Button>
          <Button type="submit" variant="contained" loading={put.isPending} disabled={change === undefined || provider.trim() === '' || model.trim() === ''}>
            {MODEL_SETTINGS.save}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
