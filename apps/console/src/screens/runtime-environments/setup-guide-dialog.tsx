/** Setup Guide (admin guide, part 3): a tab per guide the API publishes — Data Ingestion, Serverless Spark, Databricks, Snowflake, Google Cloud. */
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import { RUNTIMES } from '../../texts';
import type { SetupGuide } from './runtime.queries';

export function SetupGuideDialog({ guides, guideId, onGuide, onClose }: { guides: readonly SetupGuide[]; guideId: string; onGuide: (id: string) => void; onClose: () => void }) {
  const guide = guides.find((candidate) => candidate.id === guideId) ?? guides[0];
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md" aria-labelledby="setup-guide-title">
      <DialogTitle id="setup-guide-title">{RUNTIMES.setupGuide}</DialogTitle>
      <Tabs value={guide?.id ?? false} onChange={(_event, id: string) => onGuide(id)} variant="scrollable" aria-label={RUNTIMES.setupGuide} sx={{ px: 2, borderBottom: 1, borderColor: 'divider' }}>
        {guides.map((candidate) => (
          <Tab key={candidate.id} value={candidate.id} label={candidate.title} id={`guide-tab-${candidate.id}`} aria-controls="guide-panel" />
        ))}
      </Tabs>
      <DialogContent id="guide-panel" role="tabpanel" aria-labelledby={guide ? `guide-tab-${guide.id}` : undefined}>
        {guide !== undefined && (
          <>
            <Typography sx={{ mb: 2 }}>{guide.summary}</Typography>
            <ol>
              {guide.steps.map((step) => (
                <li key={step}>
                  <Typography>{step}</Typography>
                </li>
              ))}
            </ol>
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{RUNTIMES.closeGuide}</Button>
      </DialogActions>
    </Dialog>
  );
}
