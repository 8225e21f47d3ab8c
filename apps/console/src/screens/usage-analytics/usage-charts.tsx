/**
 * The Usage Timeline (cost and tokens per hour, day, week or month, buckets cut in the shown zone) and Usage by
 * Model (cost share) charts. Chart.js is imported here only, so it travels in this screen's chunk; each canvas
 * carries a text summary for screen readers (the same figures are in the tables below).
 */
import Box from '@mui/material/Box';
import { useTheme } from '@mui/material/styles';
import { ArcElement, CategoryScale, Chart, Filler, Legend, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import { Doughnut, Line } from 'react-chartjs-2';
import { formatUsd } from '../../components/figures';
import { USAGE_ANALYTICS } from '../../texts';
import type { Interval, UsageByModel, UsageTimeline } from './usage.queries';

Chart.register(ArcElement, CategoryScale, Filler, Legend, LineElement, LinearScale, PointElement, Tooltip);

const LABEL_FORMATS: Readonly<Record<Interval, Intl.DateTimeFormatOptions>> = {
  hour: { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  day: { day: 'numeric', month: 'short' },
  week: { day: 'numeric', month: 'short' },
  month: { month: 'short', year: 'numeric' },
};

export function bucketLabel(start: string, interval: Interval, timeZone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', { ...LABEL_FORMATS[interval], timeZone }).format(new Date(start));
  return interval === 'week' ? `w/c ${text}` : text;
}

const PALETTE = ['#1a56b8', '#d9480f', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#e64980', '#5c940d', '#364fc7', '#862e9c'];

export function TimelineChart({ timeline, interval, timeZone }: { timeline: UsageTimeline; interval: Interval; timeZone: string }) {
  const theme = useTheme();
  const labels = timeline.points.map((point) => bucketLabel(point.start, interval, timeZone));
  const text = theme.palette.text.secondary;
  const grid = theme.palette.divider;
  const summary = timeline.points.map((point, index) => `${labels[index]}: ${formatUsd(point.cost)}, ${point.tokens.total} tokens`).join('; ');
  return (
    <Box sx={{ position: 'relative', height: 300 }}>
      <Line
        role="img"
        aria-label={`${USAGE_ANALYTICS.usageTimeline} (${timeZone}): ${summary || USAGE_ANALYTICS.noUsage}`}
        data={{
          labels,
          datasets: [
            { label: USAGE_ANALYTICS.cost, data: timeline.points.map((point) => Number(point.cost)), borderColor: theme.palette.primary.main, backgroundColor: theme.palette.primary.main, yAxisID: 'cost', cubicInterpolationMode: 'monotone' },
            { label: USAGE_ANALYTICS.tokens, data: timeline.points.map((point) => point.tokens.total), borderColor: theme.palette.secondary.main, backgroundColor: theme.palette.secondary.main, yAxisID: 'tokens', cubicInterpolationMode: 'monotone' },
          ],
        }}
        options={{
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: 'index', intersect: false },
          plugins: { legend: { labels: { color: text } } },
          scales: {
            x: { ticks: { color: text }, grid: { color: grid } },
            cost: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: USAGE_ANALYTICS.cost, color: text }, ticks: { color: text }, grid: { color: grid } },
            tokens: { type: 'linear', position: 'right', beginAtZero: true, title: { display: true, text: USAGE_ANALYTICS.tokens, color: text }, ticks: { color: text }, grid: { drawOnChartArea: false } },
          },
        }}
      />
    </Box>
  );
}

export function ModelDoughnut({ byModel }: { byModel: UsageByModel }) {
  const theme = useTheme();
  const labels = byModel.models.map((model) => `${model.provider}/${model.model}`);
  const summary = byModel.models.map((model, index) => `${labels[index]}: ${formatUsd(model.cost)} (${model.share}%)`).join('; ');
  return (
    <Box sx={{ position: 'relative', height: 300 }}>
      <Doughnut
        role="img"
        aria-label={`${USAGE_ANALYTICS.usageByModel}: ${summary}`}
        data={{
          labels,
          datasets: [{ label: USAGE_ANALYTICS.cost, data: byModel.models.map((model) => Number(model.cost)), backgroundColor: labels.map((_label, index) => PALETTE[index % PALETTE.length]!), borderColor: theme.palette.background.paper }],
        }}
        options={{ maintainAspectRatio: false, animation: false, plugins: { legend: { position: 'right', labels: { color: theme.palette.text.secondary } } } }}
      />
    </Box>
  );
}
