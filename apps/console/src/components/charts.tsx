/**
 * Chart.js through react-chartjs-2, themed from MUI's palette. Each chart kind registers only the Chart.js
 * parts it draws with, so a screen's chunk carries just those. A chart is a canvas: it gets `role="img"` and a
 * label that says what it shows, and the numbers stay on the page as text beside it.
 */
import { type Theme, useTheme } from '@mui/material/styles';
import { ArcElement, Chart as ChartJS, Legend, Tooltip } from 'chart.js';
import { Doughnut } from 'react-chartjs-2';

ChartJS.register(ArcElement, Tooltip, Legend);

export interface Slice {
  readonly label: string;
  readonly value: number;
  /** A palette path (`success.main`) or a CSS colour. */
  readonly color: string;
}

function paletteColor(theme: Theme, color: string): string {
  const [group, shade] = color.split('.');
  const entry = (theme.palette as unknown as Record<string, Record<string, string> | undefined>)[group ?? ''];
  return (shade !== undefined && entry?.[shade]) || color;
}

export function DoughnutChart({ label, slices, size = 160 }: { label: string; slices: readonly Slice[]; size?: number }) {
  const theme = useTheme();
  return (
    <div style={{ width: size, height: size }}>
      <Doughnut
        role="img"
        aria-label={`${label}: ${slices.map((slice) => `${slice.label} ${slice.value}`).join(', ')}`}
        data={{
          labels: slices.map((slice) => slice.label),
          datasets: [{ data: slices.map((slice) => slice.value), backgroundColor: slices.map((slice) => paletteColor(theme, slice.color)), borderColor: theme.palette.background.paper }],
        }}
        options={{ responsive: true, maintainAspectRatio: true, animation: false, plugins: { legend: { display: false } }, cutout: '65%' }}
      />
    </div>
  );
}
