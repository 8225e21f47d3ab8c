/** The admin guide's restriction message, shown for a 403 and on admin-only screens for everyone else. */
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import { ACCESS_RESTRICTED_DETAIL, ACCESS_RESTRICTED_TITLE } from '../texts';

export function AccessRestricted() {
  return (
    <Alert severity="warning" role="alert" data-testid="access-restricted">
      <AlertTitle>{ACCESS_RESTRICTED_TITLE}</AlertTitle>
      {ACCESS_RESTRICTED_DETAIL}
    </Alert>
  );
}
