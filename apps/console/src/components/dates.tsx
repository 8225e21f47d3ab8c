/**
 * Instants shown in the profile's time zone (the browser's until the profile names one), always with the zone
 * named, so two people in two places read the same row the same way.
 */
import { useProfile } from '../api/account.queries';
import { formatInstant } from './time-zones';

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}


export function useTimeZone(): string {
  const profile = useProfile();
  return profile.data?.timeZone ?? browserTimeZone();
}

export function DateTime({ value }: { value: string | null | undefined }) {
  const timeZone = useTimeZone();
  if (!value) return <>—</>;
  return <time dateTime={value}>{formatInstant(value, timeZone)}</time>;
}
