/**
 * Runtime Environments (admin guide, part 3): All Runtimes and one tab per category, each with its count chip;
 * a card per runtime with Test (the outcome in a snackbar), Set Default, Edit and Delete (after the guide's
 * confirmation); Add Runtime by category with the provider's generated form; the Setup Guide. The tab, the
 * page and the open guide live in the URL. Viewers read; members may also test; admins manage.
 */
import AddIcon from '@mui/icons-material/Add';
import MenuBookIcon from '@mui/icons-material/MenuBook';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Menu from '@mui/material/Menu';
import MenuItem from '@mui/material/MenuItem';
import Snackbar from '@mui/material/Snackbar';
import Stack from '@mui/material/Stack';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { useParams } from 'react-router';
import { ApiProblem } from '../../api/client';
import { Pager, pageFrom } from '../../components/pager';
import { Empty, ErrorState, QueryState } from '../../components/query-state';
import { useConsolePlace } from '../../components/workspace-context';
import { useUrlState } from '../../routing/url-state';
import { ACCESS_RESTRICTED, RUNTIMES } from '../../texts';
import { RuntimeCard } from './runtime-card';
import { RuntimeDialog, type RuntimeDialogMode } from './runtime-dialog';
import { type ProviderCategory, type Runtime, type RuntimeCategory, mayManageRuntimes, mayTestRuntimes, useDeleteRuntime, useProviderCatalogue, useRuntimes, useSetDefaultRuntime, useTestRuntime } from './runtime.queries';
import { SetupGuideDialog } from './setup-guide-dialog';

interface Notice {
  readonly severity: 'success' | 'error' | 'info';
  readonly message: string;
}

function problemText(error: unknown): string {
  if (error instanceof ApiProblem && error.status === 403) return ACCESS_RESTRICTED;
  return error instanceof Error ? error.message : String(error);
}

export default function RuntimeEnvironmentsScreen() {
  const { wsId = '' } = useParams();
  const place = useConsolePlace();
  const [url, setUrl] = useUrlState(['tab', 'page', 'guide'] as const);
  const catalogue = useProviderCatalogue();
  const categories = catalogue.data?.categories ?? [];
  const category = categories.find((candidate) => candidate.id === url.tab)?.id as RuntimeCategory | undefined;
  const page = pageFrom(url.page);
  const runtimes = useRuntimes(wsId, category, page);
  const [addMenu, setAddMenu] = useState<HTMLElement | null>(null);
  const [dialog, setDialog] = useState<RuntimeDialogMode | undefined>();
  const [deleting, setDeleting] = useState<Runtime | undefined>();
  const [notice, setNotice] = useState<Notice | undefined>();
  const [testingId, setTestingId] = useState<string | undefined>();
  const test = useTestRuntime(wsId);
  const setDefault = useSetDefaultRuntime(wsId);
  const remove = useDeleteRuntime(wsId);
  const canManage = mayManageRuntimes(place.role);
  const canTest = mayTestRuntimes(place.role);
  const categoryOf = (id: string): ProviderCategory | undefined => categories.find((candidate) => candidate.id === id);
  const counts = runtimes.data?.counts;

  const actions = {
    canTest,
    canManage,
    testing: false,
    onTest: (runtime: Runtime) => {
      setTestingId(runtime.id);
      setNotice({ severity: 'info', message: RUNTIMES.testing(runtime.name) });
      test.mutate(runtime.id, {
        onSuccess: (outcome) =>
          setNotice(
            outcome.status === 'succeeded'
              ? { severity: 'success', message: RUNTIMES.testSucceeded(runtime.name, outcome.latencyMs) }
              : { severity: 'error', message: RUNTIMES.testFailed(runtime.name, outcome.message ?? outcome.failure ?? 'unknown error') },
          ),
        onError: (error) => setNotice({ severity: 'error', message: RUNTIMES.testFailed(runtime.name, problemText(error)) }),
        onSettled: () => setTestingId(undefined),
      });
    },
    onSetDefault: (runtime: Runtime) =>
      setDefault.mutate(runtime.id, {
        onSuccess: () => setNotice({ severity: 'success', message: RUNTIMES.madeDefault(runtime.name) }),
        onError: (error) => setNotice({ severity: 'error', message: problemText(error) }),
      }),
    onEdit: (runtime: Runtime) => {
      const home = categoryOf(runtime.category);
      if (home !== undefined) setDialog({ kind: 'edit', runtime, category: home });
    },
    onDelete: (runtime: Runtime) => setDeleting(runtime),
  };

  const tabs: Array<{ id: string; label: string; count: number | undefined }> = [
    { id: '', label: RUNTIMES.allRuntimes, count: counts?.all },
    ...categories.map((candidate) => ({ id: candidate.id, label: candidate.label, count: counts?.[candidate.id] })),
  ];

  return (
    <Stack spacing={3}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <Typography variant="h4" component="h1" sx={{ flexGrow: 1 }}>
          {RUNTIMES.title}
        </Typography>
        <Button variant="outlined" startIcon={<MenuBookIcon />} onClick={() => setUrl({ guide: catalogue.data?.guides[0]?.id ?? 'data_ingestion' })} disabled={catalogue.data === undefined}>
          {RUNTIMES.setupGuide}
        </Button>
        {canManage && (
          <Button variant="contained" startIcon={<AddIcon />} aria-haspopup="menu" aria-controls={addMenu ? 'add-runtime-menu' : undefined} onClick={(event) => setAddMenu(event.currentTarget)} disabled={catalogue.data === undefined}>
            {RUNTIMES.addRuntime}
          </Button>
        )}
        <Menu id="add-runtime-menu" anchorEl={addMenu} open={addMenu !== null} onClose={() => setAddMenu(null)}>
          {categories.map((candidate) => (
            <MenuItem
              key={candidate.id}
              onClick={() => {
                setAddMenu(null);
                setDialog({ kind: 'create', category: candidate });
              }}
            >
              {RUNTIMES.addMenu[candidate.id] ?? candidate.label}
            </MenuItem>
          ))}
        </Menu>
      </Stack>
      {catalogue.isError && <ErrorState error={catalogue.error} onRetry={() => void catalogue.refetch()} />}
      <Box sx={{ borderBottom: 1, borderColor: 'divider' }}>
        <Tabs value={category ?? ''} onChange={(_event, id: string) => setUrl({ tab: id }, { resetPage: true })} variant="scrollable" aria-label={RUNTIMES.title}>
          {tabs.map((tab) => (
            <Tab
              key={tab.id}
              value={tab.id}
              id={`runtime-tab-${tab.id || 'all'}`}
              aria-controls="runtime-panel"
              iconPosition="end"
              icon={<Chip size="small" label={tab.count ?? '…'} data-testid={`count-${tab.id || 'all'}`} />}
              label={tab.label}
            />
          ))}
        </Tabs>
      </Box>
      <Box id="runtime-panel" role="tabpanel" aria-labelledby={`runtime-tab-${category ?? 'all'}`}>
        <QueryState query={runtimes} loading={RUNTIMES.loading}>
          {(result) =>
            result.items.length === 0 ? (
              <Empty>{category === 'data_ingestion' ? RUNTIMES.noIngestion : RUNTIMES.noRuntimes}</Empty>
            ) : (
              <Stack spacing={2}>
                <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: 'repeat(auto-fill, minmax(300px, 1fr))' }}>
                  {result.items.map((runtime) => (
                    <RuntimeCard key={runtime.id} runtime={runtime} actions={{ ...actions, testing: testingId === runtime.id }} />
                  ))}
                </Box>
                {result.pageCount > 1 && (
                  <Pager label={`${RUNTIMES.title} pages`} page={result.page} pageCount={result.pageCount} texts={RUNTIMES} onPage={(next) => setUrl({ page: next === 1 ? '' : String(next) })} />
                )}
              </Stack>
            )
          }
        </QueryState>
      </Box>
      {dialog !== undefined && (
        <RuntimeDialog
          workspaceId={wsId}
          mode={dialog}
          onClose={() => setDialog(undefined)}
          onDone={(message) => {
            setDialog(undefined);
            setNotice({ severity: 'success', message });
          }}
        />
      )}
      <Dialog open={deleting !== undefined} onClose={() => setDeleting(undefined)} aria-labelledby="delete-runtime-title" aria-describedby="delete-runtime-text">
        <DialogTitle id="delete-runtime-title">{deleting ? RUNTIMES.delete(deleting.name) : ''}</DialogTitle>
        <DialogContent>
          <DialogContentText id="delete-runtime-text">{deleting ? RUNTIMES.confirmDelete(deleting.name) : ''}</DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDeleting(undefined)}>{RUNTIMES.cancel}</Button>
          <Button
            color="error"
            variant="contained"
            loading={remove.isPending}
            onClick={() => {
              const runtime = deleting;
              if (runtime === undefined) return;
              remove.mutate(runtime.id, {
                onSuccess: () => setNotice({ severity: 'success', message: RUNTIMES.deleted(runtime.name) }),
                onError: (error) => setNotice({ severity: 'error', message: problemText(error) }),
                onSettled: () => setDeleting(undefined),
              });
            }}
          >
            {RUNTIMES.confirm}
          </Button>
        </DialogActions>
      </Dialog>
      {url.guide !== '' && catalogue.data !== undefined && (
        <SetupGuideDialog guides={catalogue.data.guides} guideId={url.guide} onGuide={(guide) => setUrl({ guide })} onClose={() => setUrl({ guide: '' })} />
      )}
      <Snackbar open={notice !== undefined} autoHideDuration={notice?.severity === 'info' ? null : 8000} onClose={(_event, reason) => reason !== 'clickaway' && setNotice(undefined)}>
        {notice !== undefined ? (
          <Alert severity={notice.severity} onClose={() => setNotice(undefined)} data-testid="runtime-notice" sx={{ boxShadow: 6 }}>
            {notice.message}
          </Alert>
        ) : undefined}
      </Snackbar>
    </Stack>
  );
}
