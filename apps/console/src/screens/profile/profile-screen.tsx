/**
 * Profile (account-administration guide): name, organization, time zone and custom instructions, saved with
 * PATCH /v1/me. The time zone chosen here is the one every date of the console is shown in.
 */
import Alert from '@mui/material/Alert';
import Autocomplete from '@mui/material/Autocomplete';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { type Profile, accountKeys, useProfile } from '../../api/account.queries';
import { ApiProblem, api, idempotencyKey, unwrap } from '../../api/client';
import { browserTimeZone } from '../../components/dates';
import { QueryState } from '../../components/query-state';
import { PROFILE } from '../../texts';

function timeZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return supported.includes('UTC') ? supported : ['UTC', ...supported];
}

function ProfileForm({ profile }: { profile: Profile }) {
  const queries = useQueryClient();
  const zones = useMemo(timeZones, []);
  const [name, setName] = useState(profile.name ?? '');
  const [organizationName, setOrganizationName] = useState(profile.organizationName ?? '');
  const [timeZone, setTimeZone] = useState<string | null>(profile.timeZone ?? null);
  const [customInstructions, setCustomInstructions] = useState(profile.customInstructions ?? '');
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/v1/me', {
          params: { header: { 'Idempotency-Key': idempotencyKey() } },
          body: {
            name: name.trim() === '' ? null : name.trim(),
            organizationName: organizationName.trim() === '' ? null : organizationName.trim(),
            timeZone,
            customInstructions: customInstructions === '' ? null : customInstructions,
          },
        }),
      ),
    onSuccess: (updated) => {
      queries.setQueryData(accountKeys.profile, updated);
      setSaved(true);
    },
  });
  const fieldError = (field: string): string | undefined =>
    save.error instanceof ApiProblem ? save.error.errors.find((error) => error.field === `body.${field}`)?.message : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <Paper component="form" onSubmit={submit} sx={{ p: 3, maxWidth: 720, display: 'grid', gap: 2 }}>
      <Typography color="text.secondary">{profile.email}</Typography>
      <TextField label={PROFILE.name} value={name} onChange={(event) => setName(event.target.value)} error={!!fieldError('name')} helperText={fieldError('name')} />
      <TextField
        label={PROFILE.organizationName}
        value={organizationName}
        onChange={(event) => setOrganizationName(event.target.value)}
        error={!!fieldError('organizationName')}
        helperText={fieldError('organizationName')}
      />
      <Autocomplete
        options={zones}
        value={timeZone}
        onChange={(_event, value) => setTimeZone(value)}
        renderInput={(params) => (
          <TextField {...params} label={PROFILE.timeZone} error={!!fieldError('timeZone')} helperText={fieldError('timeZone') ?? `${browserTimeZone()} when empty`} />
        )}
      />
      <TextField
        label={PROFILE.customInstructions}
        value={customInstructions}
        onChange={(event) => setCustomInstructions(event.target.value)}
        multiline
        minRows={4}
        error={!!fieldError('customInstructions')}
        helperText={fieldError('customInstructions') ?? PROFILE.customInstructionsHelp}
      />
      {save.isError && !(save.error instanceof ApiProblem && save.error.errors.length > 0) && <Alert severity="error">{save.error.message}</Alert>}
      <div>
        <Button type="submit" variant="contained" loading={save.isPending}>
          {PROFILE.save}
        </Button>
      </div>
      <Snackbar open={saved} autoHideDuration={4000} onClose={() => setSaved(false)} message={PROFILE.saved} />
    </Paper>
  );
}

export default function ProfileScreen() {
  const profile = useProfile();
  return (
    <Stack spacing={3}>
      <Typography variant="h4" component="h1">
        {PROFILE.title}
      </Typography>
      <QueryState query={profile} loading={PROFILE.loading}>
        {(data) => <ProfileForm key={data.userId} profile={data} />}
      </QueryState>
    </Stack>
  );
}
