/**
 * Billing (account administration: "the plan you are currently in … manage this plan"; the usage section's
 * "true bank account statement"): the Current Billing and Current Plan cards with Add Credits and Manage
 * Subscription, the credit ledger as a statement (newest first, each entry with the balance after it, paged,
 * CSV from the API), a manual adjustment of the balance, and the invoices with their status, PDF and — for an
 * open one — a manual payment or a void. Adjustments and voids are for owners and the billing role only.
 * Pages and the checkout's return are in the URL. Owners, admins and the billing role read; a 403 shows the
 * guide's restriction message.
 */
import CircleIcon from '@mui/icons-material/Circle';
import DownloadIcon from '@mui/icons-material/Download';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { saveFile } from '../../components/csv';
import { type Column, DataTable } from '../../components/data-table';
import { DateTime } from '../../components/dates';
import { formatDecimal, formatUsd } from '../../components/figures';
import { Pager, pageFrom } from '../../components/pager';
import { Empty, QueryState } from '../../components/query-state';
import { useUrlState } from '../../routing/url-state';
import { BILLING } from '../../texts';
import { CurrentBillingCard, CurrentPlanCard } from './billing-cards';
import { AdjustmentForm } from './adjustment-form';
import { type Invoice, type LedgerPage, billingKeys, useBillingOverview, useCanWriteBilling } from './billing.queries';
import { PaymentDialog } from './payment-dialog';
import { VoidInvoiceDialog } from './void-invoice-dialog';

const PAGE_SIZE = 20;

type Entry = LedgerPage['items'][number];

const LEDGER_COLUMNS: ReadonlyArray<Column<Entry>> = [
  { id: 'at', label: BILLING.ledgerColumns.date, value: (entry) => entry.at, render: (entry) => <DateTime value={entry.at} />, sortable: false },
  { id: 'description', label: BILLING.ledgerColumns.description, value: (entry) => entry.description, sortable: false },
  { id: 'kind', label: BILLING.ledgerColumns.kind, value: (entry) => BILLING.ledgerKinds[entry.kind] ?? entry.kind, sortable: false },
  {
    id: 'credits',
    label: BILLING.ledgerColumns.credits,
    value: (entry) => entry.credits,
    render: (entry) => <Box component="span" sx={{ color: entry.credits.startsWith('-') ? 'error.main' : 'success.main', fontVariantNumeric: 'tabular-nums' }}>{formatDecimal(entry.credits, { signed: true })}</Box>,
    sortable: false,
  },
  { id: 'usd', label: BILLING.ledgerColumns.usd, value: (entry) => entry.usd, render: (entry) => (entry.usd === null ? '—' : formatUsd(entry.usd)), sortable: false },
  { id: 'balance', label: BILLING.ledgerColumns.balance, value: (entry) => entry.balance, render: (entry) => formatDecimal(entry.balance), sortable: false },
];

const STATUS_COLOURS = { draft: 'text.disabled', issued: 'warning.main', paid: 'success.main', void: 'text.disabled' } as const;

function invoiceName(invoice: Invoice): string {
  return invoice.number ?? `${BILLING.draft} ${invoice.period}`;
}

function Statement({ orgId, page, onPage }: { orgId: string; page: number; onPage: (page: number) => void }) {
  const ledger = useQuery({
    queryKey: billingKeys.ledger(orgId, page),
    placeholderData: keepPreviousData,
    // the route also speaks CSV; asked without `format` it answers the JSON page
    queryFn: async () => (await unwrap(api.GET('/v1/organizations/{orgId}/billing/ledger', { params: { path: { orgId }, query: { page, pageSize: PAGE_SIZE } } }))) as LedgerPage,
  });
  const exportCsv = useMutation({
    mutationFn: async () => {
      const csv = await unwrap(api.GET('/v1/organizations/{orgId}/billing/ledger', { params: { path: { orgId }, query: { format: 'csv' } }, parseAs: 'blob' }));
      saveFile(csv as unknown as Blob, `ledger-${orgId}.csv`);
    },
  });
  return (
    <Paper component="section" aria-labelledby="billing-ledger" sx={{ p: 2 }}>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between', mb: 1 }}>
        <Typography id="billing-ledger" variant="h6" component="h2">
          {BILLING.ledger}
        </Typography>
        <Button variant="outlined" startIcon={<DownloadIcon />} loading={exportCsv.isPending} onClick={() => exportCsv.mutate()}>
          {BILLING.exportCsv}
        </Button>
      </Stack>
      {exportCsv.isError && <Alert severity="error">{exportCsv.error.message}</Alert>}
      <QueryState query={ledger} loading={BILLING.loading}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{BILLING.noLedger}</Empty>
          ) : (
            <Stack spacing={1}>
              <DataTable label={BILLING.ledger} rows={data.items} rowKey={(entry) => entry.id} columns={LEDGER_COLUMNS} />
              <Pager label={BILLING.ledger} page={data.page} pageCount={data.pageCount} onPage={onPage} texts={BILLING} />
            </Stack>
          )
        }
      </QueryState>
    </Paper>
  );
}

function Invoices({ orgId, page, onPage, canWrite }: { orgId: string; page: number; onPage: (page: number) => void; canWrite: boolean }) {
  const [paying, setPaying] = useState<Invoice>();
  const [voiding, setVoiding] = useState<Invoice>();
  const invoices = useQuery({
    queryKey: billingKeys.invoices(orgId, page),
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/organizations/{orgId}/billing/invoices', { params: { path: { orgId }, query: { page, pageSize: PAGE_SIZE } } })),
  });
  const pdf = useMutation({
    mutationFn: async (invoice: Invoice) => {
      const file = await unwrap(api.GET('/v1/organizations/{orgId}/billing/invoices/{id}/pdf', { params: { path: { orgId, id: invoice.id } }, parseAs: 'blob' }));
      saveFile(file as unknown as Blob, `${invoice.number ?? invoice.period}.pdf`, 'application/pdf');
    },
  });
  const columns: ReadonlyArray<Column<Invoice>> = [
    { id: 'number', label: BILLING.invoiceColumns.number, value: invoiceName, sortable: false },
    { id: 'period', label: BILLING.invoiceColumns.period, value: (invoice) => `${invoice.period} (${invoice.timeZone})`, sortable: false },
    {
      id: 'status',
      label: BILLING.invoiceColumns.status,
      value: (invoice) => BILLING.invoiceStatuses[invoice.status] ?? invoice.status,
      // the colour is in the dot, the text keeps the theme's contrast
      render: (invoice) => (
        <Chip size="small" variant="outlined" icon={<CircleIcon aria-hidden sx={{ '&&': { color: STATUS_COLOURS[invoice.status] }, fontSize: 12 }} />} label={BILLING.invoiceStatuses[invoice.status] ?? invoice.status} />
      ),
      sortable: false,
    },
    { id: 'issued', label: BILLING.invoiceColumns.issued, value: (invoice) => invoice.issuedAt, render: (invoice) => <DateTime value={invoice.issuedAt} />, sortable: false },
    { id: 'due', label: BILLING.invoiceColumns.due, value: (invoice) => invoice.dueAt, render: (invoice) => <DateTime value={invoice.dueAt} />, sortable: false },
    { id: 'total', label: BILLING.invoiceColumns.total, value: (invoice) => invoice.totalDueUsd, render: (invoice) => formatUsd(invoice.totalDueUsd), sortable: false },
    {
      id: 'actions',
      label: BILLING.invoiceColumns.actions,
      value: () => '',
      exported: false,
      sortable: false,
      render: (invoice) => (
        <Stack direction="row" spacing={1}>
          <Button size="small" startIcon={<DownloadIcon />} aria-label={BILLING.downloadPdfOf(invoiceName(invoice))} onClick={() => pdf.mutate(invoice)}>
            {BILLING.downloadPdf}
          </Button>
          {invoice.status === 'issued' && (
            <Button size="small" variant="outlined" aria-label={BILLING.recordPaymentOf(invoiceName(invoice))} onClick={() => setPaying(invoice)}>
              {BILLING.recordPayment}
            </Button>
          )}
          {canWrite && invoice.status === 'issued' && (
            <Button size="small" color="error" aria-label={BILLING.voidInvoiceOf(invoiceName(invoice))} onClick={() => setVoiding(invoice)}>
              {BILLING.voidInvoice}
            </Button>
          )}
        </Stack>
      ),
    },
  ];
  return (
    <Paper component="section" id="invoices" aria-labelledby="billing-invoices" sx={{ p: 2 }}>
      <Typography id="billing-invoices" variant="h6" component="h2" sx={{ mb: 1 }}>
        {BILLING.invoices}
      </Typography>
      {pdf.isError && <Alert severity="error">{pdf.error.message}</Alert>}
      <QueryState query={invoices} loading={BILLING.loading}>
        {(data) =>
          data.items.length === 0 ? (
            <Empty>{BILLING.noInvoices}</Empty>
          ) : (
            <Stack spacing={1}>
              <DataTable label={BILLING.invoices} rows={data.items} rowKey={(invoice) => invoice.id} columns={columns} />
              <Pager label={BILLING.invoices} page={data.page} pageCount={data.pageCount} onPage={onPage} texts={BILLING} />
            </Stack>
          )
        }
      </QueryState>
      {paying && <PaymentDialog orgId={orgId} invoice={paying} name={invoiceName(paying)} onClose={() => setPaying(undefined)} />}
      {voiding && <VoidInvoiceDialog orgId={orgId} invoice={voiding} name={invoiceName(voiding)} onClose={() => setVoiding(undefined)} />}
    </Paper>
  );
}

export default function BillingScreen() {
  const { orgId = '' } = useParams();
  const [state, setState] = useUrlState(['ledgerPage', 'invoicesPage', 'checkout'] as const);
  const billing = useBillingOverview(orgId);
  const canWrite = useCanWriteBilling(orgId) === true;
  return (
    <Stack spacing={3}>
      <Typography variant="h4" component="h1">
        {BILLING.title}
      </Typography>
      {state.checkout === 'success' && <Alert severity="success" onClose={() => setState({ checkout: '' })}>{BILLING.checkoutSuccess}</Alert>}
      {state.checkout === 'cancelled' && <Alert severity="info" onClose={() => setState({ checkout: '' })}>{BILLING.checkoutCancelled}</Alert>}
      <QueryState query={billing} loading={BILLING.loading}>
        {(overview) => (
          <>
            <Box sx={{ display: 'grid', gap: 3, gridTemplateColumns: { xs: '1fr', lg: 'repeat(2, minmax(0, 1fr))' } }}>
              <CurrentPlanCard orgId={orgId} billing={overview} />
              <CurrentBillingCard orgId={orgId} billing={overview} showInvoicesLink={false} />
            </Box>
            {canWrite && <AdjustmentForm orgId={orgId} />}
            <Statement orgId={orgId} page={pageFrom(state.ledgerPage)} onPage={(page) => setState({ ledgerPage: String(page) })} />
            <Invoices orgId={orgId} page={pageFrom(state.invoicesPage)} onPage={(page) => setState({ invoicesPage: String(page) })} canWrite={canWrite} />
          </>
        )}
      </QueryState>
    </Stack>
  );
}
