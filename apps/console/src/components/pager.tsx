/** Previous / Next with "Page X of Y" (the usage guide's pager), for lists the API answers in numbered pages. */
import Button from '@mui/material/Button';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';

export interface PagerTexts {
  readonly previous: string;
  readonly next: string;
  readonly page: (page: number, pageCount: number) => string;
}

export function Pager({ page, pageCount, onPage, texts, label }: { page: number; pageCount: number; onPage: (page: number) => void; texts: PagerTexts; label: string }) {
  const last = Math.max(pageCount, 1);
  return (
    <Stack component="nav" aria-label={label} direction="row" spacing={2} sx={{ alignItems: 'center', justifyContent: 'flex-end' }}>
      <Button variant="outlined" size="small" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {texts.previous}
      </Button>
      <Typography aria-live="polite">{texts.page(Math.min(page, last), last)}</Typography>
      <Button variant="outlined" size="small" disabled={page >= last} onClick={() => onPage(page + 1)}>
        {texts.next}
      </Button>
    </Stack>
  );
}

/** A page number from the URL: a whole number from 1, else 1. */
export function pageFrom(value: string): number {
  const page = Number(value);
  return Number.isInteger(page) && page >= 1 ? page : 1;
}
