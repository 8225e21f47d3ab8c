/**
 * A table whose columns sort (the column and direction in the URL: `sort`, `dir`) and, when given `exportRows`,
 * export CSV. Sorting orders the rows the table holds; lists the API pages keep their API order across pages.
 */
import DownloadIcon from '@mui/icons-material/Download';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TableSortLabel from '@mui/material/TableSortLabel';
import { type ReactNode, useState } from 'react';
import { useUrlState } from '../routing/url-state';
import { toCsv, saveFile } from './csv';
import { compareDecimals } from './figures';

export interface Column<Row> {
  readonly id: string;
  readonly label: string;
  /** What sorts and what the CSV holds. */
  readonly value: (row: Row) => string | number | null | undefined;
  /** What the cell shows (default: the value). */
  readonly render?: (row: Row) => ReactNode;
  readonly sortable?: boolean;
  /** False for a column of buttons: left out of the CSV. */
  readonly exported?: boolean;
}

function compare(a: string | number | null | undefined, b: string | number | null | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'string' && typeof b === 'string') {
    const decimals = compareDecimals(a, b);
    if (decimals !== undefined) return decimals;
  }
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

export function sortRows<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>, sort: string, dir: string): Row[] {
  const column = columns.find((candidate) => candidate.id === sort && candidate.sortable !== false);
  if (column === undefined) return [...rows];
  const sign = dir === 'desc' ? -1 : 1;
  return [...rows].sort((a, b) => sign * compare(column.value(a), column.value(b)));
}

export interface DataTableProps<Row> {
  readonly label: string;
  readonly rows: readonly Row[];
  readonly columns: ReadonlyArray<Column<Row>>;
  readonly rowKey: (row: Row) => string;
  readonly rowTestId?: (row: Row) => string;
  /** Every row to export (all pages), as CSV named `csvName`. */
  readonly exportRows?: () => Promise<readonly Row[]>;
  readonly csvName?: string;
  readonly exportLabel?: string;
}

export function DataTable<Row>({ label, rows, columns, rowKey, rowTestId, exportRows, csvName = 'export.csv', exportLabel = 'Export CSV' }: DataTableProps<Row>) {
  const [{ sort, dir }, setUrl] = useUrlState(['sort', 'dir'] as const);
  const [exporting, setExporting] = useState(false);
  const sorted = sortRows(rows, columns, sort, dir);
  const exportCsv = async () => {
    if (exportRows === undefined) return;
    setExporting(true);
    try {
      const all = sortRows(await exportRows(), columns, sort, dir);
      const exported = columns.filter((column) => column.exported !== false);
      saveFile(toCsv(exported.map((column) => column.label), all.map((row) => exported.map((column) => column.value(row)))), csvName);
    } finally {
      setExporting(false);
    }
  };
  return (
    <>
      {exportRows !== undefined && (
        <Button variant="outlined" size="small" startIcon={<DownloadIcon />} loading={exporting} onClick={() => void exportCsv()} sx={{ mb: 1 }}>
          {exportLabel}
        </Button>
      )}
      <TableContainer component={Paper} variant="outlined" tabIndex={0} role="region" aria-label={label}>
        <Table size="small" aria-label={label}>
          <TableHead>
            <TableRow>
              {columns.map((column) => (
                <TableCell key={column.id} sortDirection={sort === column.id ? (dir === 'desc' ? 'desc' : 'asc') : false}>
                  {column.sortable === false ? (
                    column.label
                  ) : (
                    <TableSortLabel
                      active={sort === column.id}
                      direction={sort === column.id && dir === 'desc' ? 'desc' : 'asc'}
                      onClick={() => setUrl({ sort: column.id, dir: sort === column.id && dir !== 'desc' ? 'desc' : 'asc' })}
                    >
                      {column.label}
                    </TableSortLabel>
                  )}
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {sorted.map((row) => (
              <TableRow key={rowKey(row)} {...(rowTestId ? { 'data-testid': rowTestId(row) } : {})}>
                {columns.map((column) => (
                  <TableCell key={column.id}>{column.render ? column.render(row) : (column.value(row) ?? '—')}</TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
    </>
  );
}
