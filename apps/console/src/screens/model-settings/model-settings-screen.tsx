/**
 * Model Settings (admin guide, part 5; admins only): each model's current price per 1M tokens and since when,
 * whether its API key is "Configured" or "API Key: Not Configured", the models usage called without any price
 * ("pricing not configured"), and a dialog to set prices and set or clear the key. Search and page live in
 * the URL. Anyone else gets the guide's "Access Restricted" from the API's 403.
 */
import AddIcon from '@mui/icons-material/Add';
import WarningAmberIcon from '@mui/icons-material/WarningAmber';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useState } from 'react';
import { useParams } from 'react-router';
import { ApiProblem } from '../../api/client';
import { type Column, DataTable } from '../../components/data-table';
import { DateTime } from '../../components/dates';
import { formatUsd } from '../../components/figures';
import { Pager, pageFrom } from '../../components/pager';
import { Empty, QueryState } from '../../components/query-state';
import { useUrlState } from '../../routing/url-state';
import { MODEL_SETTINGS, USAGE_ANALYTICS } from '../../texts';
import { ModelDialog, type ModelDialogTarget } from './model-dialog';
import { type ModelSettings, allModels, useModels } from './model.queries';

const columns = MODEL_SETTINGS.columns;

export function ApiKeyStatus({ status }: { status: ModelSettings['apiKey'] }) {
  return status === 'Configured' ? (
    <Chip size="small" color="success" variant="outlined" label={MODEL_SETTINGS.configured} />
  ) : (
    <Stack direction="row" spacing={0.5} component="span" sx={{ alignItems: 'center' }}>
      <WarningAmberIcon color="warning" fontSize="small" aria-hidden />
      <Typography variant="body2" component="span">
        {MODEL_SETTINGS.notConfigured}
      </Typography>
    </Stack>
  );
}

export default function ModelSettingsScreen() {
  const { wsId = '' } = useParams();
  const [url, setUrl] = useUrlState(['q', 'page'] as const);
  const page = pageFrom(url.page);
  const [search, setSearch] = useState(url.q);
  useEffect(() => {
    if (search.trim() === url.q) return;
    const timer = setTimeout(() => setUrl({ q: search.trim() }, { resetPage: true }), 300);
    return () => clearTimeout(timer);
  }, [search, url.q, setUrl]);
  const models = useModels(wsId, url.q, page);
  const [target, setTarget] = useState<ModelDialogTarget | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const restricted = models.error instanceof ApiProblem && models.error.status === 403;

  const COLUMNS: ReadonlyArray<Column<ModelSettings>> = [
    { id: 'provider', label: columns.provider, value: (row) => row.provider },
    { id: 'model', label: columns.model, value: (row) => row.model },
    {
      id: 'input',
      label: columns.input,
      value: (row) => row.currentPrice?.unitPricesPerMillionTokens.input ?? null,
      render: (row) => (row.currentPrice ? formatUsd(row.currentPrice.unitPricesPerMillionTokens.input) : MODEL_SETTINGS.noPrice),
    },
    {
      id: 'output',
      label: columns.output,
      value: (row) => row.currentPrice?.unitPricesPerMillionTokens.output ?? null,
      render: (row) => (row.currentPrice ? formatUsd(row.currentPrice.unitPricesPerMillionTokens.output) : MODEL_SETTINGS.noPrice),
    },
    { id: 'effectiveFrom', label: columns.effectiveFrom, value: (row) => row.currentPrice?.effectiveFrom ?? null, render: (row) => <DateTime value={row.currentPrice?.effectiveFrom} /> },
    { id: 'apiKey', label: columns.apiKey, value: (row) => row.apiKey, render: (row) => <ApiKeyStatus status={row.apiKey} /> },
    {
      id: 'actions',
      label: columns.actions,
      sortable: false,
      exported: false,
      value: () => '',
      render: (row) => (
        <Button size="small" aria-label={MODEL_SETTINGS.edit(`${row.provider}/${row.model}`)} onClick={() => setTarget({ provider: row.provider, model: row.model, settings: row })}>
          {MODEL_SETTINGS.setPrice}
        </Button>
      ),
    },
  ];

  return (
    <Stack spacing={3}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
        <Typography variant="h4" component="h1">
          {MODEL_SETTINGS.title}
        </Typography>
        {!restricted && (
          <Button variant="contained" startIcon={<AddIcon />} onClick={() => setTarget({ provider: '', model: '' })}>
            {MODEL_SETTINGS.addModel}
          </Button>
        )}
      </Stack>
      {!restricted && <TextField size="small" type="search" label={MODEL_SETTINGS.search} value={search} onChange={(event) => setSearch(event.target.value)} sx={{ maxWidth: 320 }} />}
      <QueryState query={models} loading={MODEL_SETTINGS.loading}>
        {(result) => (
          <Stack spacing={2}>
            {result.unpricedModels.length > 0 && (
              <Alert severity="warning" data-testid="unpriced-models">
                <AlertTitle>{MODEL_SETTINGS.unpricedTitle}</AlertTitle>
                <Stack component="ul" spacing={1} sx={{ listStyle: 'none', m: 0, p: 0 }}>
                  {result.unpricedModels.map((unpriced) => (
                    <Stack component="li" key={`${unpriced.provider}/${unpriced.model}`} direction="row" spacing={2} sx={{ alignItems: 'center' }}>
                      <span>
                        {`${unpriced.provider}/${unpriced.model} — ${USAGE_ANALYTICS.pricingNotConfigured}`}
                        <Typography component="span" variant="body2" sx={{ display: 'block' }}>
                          {MODEL_SETTINGS.unpricedCalls(unpriced.unpricedCalls)}
                        </Typography>
                      </span>
                      <Button size="small" variant="outlined" color="inherit" aria-label={`${MODEL_SETTINGS.setPrice}: ${unpriced.provider}/${unpriced.model}`} onClick={() => setTarget({ provider: unpriced.provider, model: unpriced.model })}>
                        {MODEL_SETTINGS.setPrice}
                      </Button>
                    </Stack>
                  ))}
                </Stack>
              </Alert>
            )}
            {result.items.length === 0 ? (
              <Empty>{MODEL_SETTINGS.empty}</Empty>
            ) : (
              <>
                <Box>
                  <DataTable
                    label={MODEL_SETTINGS.title}
                    rows={result.items}
                    columns={COLUMNS}
                    rowKey={(row) => `${row.provider}/${row.model}`}
                    rowTestId={(row) => `model-${row.provider}/${row.model}`}
                    exportRows={() => allModels(wsId, url.q)}
                    csvName={`models-${wsId}.csv`}
                    exportLabel={MODEL_SETTINGS.exportCsv}
                  />
                </Box>
                <Pager label={`${MODEL_SETTINGS.title} pages`} page={result.page} pageCount={result.pageCount} texts={MODEL_SETTINGS} onPage={(next) => setUrl({ page: next === 1 ? '' : String(next) })} />
              </>
            )}
          </Stack>
        )}
      </QueryState>
      {target !== undefined && (
        <ModelDialog
          workspaceId={wsId}
          target={target}
          onClose={() => setTarget(undefined)}
          onSaved={(message) => {
            setTarget(undefined);
            setNotice(message);
          }}
        />
      )}
      <Snackbar open={notice !== undefined} autoHideDuration={6000} onClose={() => setNotice(undefined)} message={notice} />
    </Stack>
  );
}
