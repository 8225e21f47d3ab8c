/**
 * A provider's configuration form, generated from the JSON Schema the API publishes for it
 * (GET /v1/runtime-providers): one field per property, required where the schema says, secrets (writeOnly) as
 * password fields, certificates and keys as multi-line fields, the schema's description as the help text.
 */
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';

export interface PropertySchema {
  readonly type?: string;
  readonly description?: string;
  readonly writeOnly?: boolean;
  readonly maxLength?: number;
  readonly enum?: readonly unknown[];
  readonly format?: string;
}

export interface ObjectSchema {
  readonly properties?: Readonly<Record<string, PropertySchema>>;
  readonly required?: readonly string[];
}

export type ConfigValues = Record<string, string | boolean>;

const UPPER = new Set(['id', 'url', 'arn', 'ca', 'aws', 'gcp']);

/** `caCertificate` → `CA Certificate`, `projectId` → `Project ID`. */
export function fieldLabel(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(' ')
    .map((word) => (UPPER.has(word.toLowerCase()) ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1)))
    .join(' ');
}

export function propertiesOf(schema: ObjectSchema): Array<[string, PropertySchema]> {
  return Object.entries(schema.properties ?? {});
}

/** What a field holds when the form opens: the stored value, else empty (a secret is never sent back to us). */
export function initialValues(schema: ObjectSchema, stored: Readonly<Record<string, string | number | boolean>> = {}): ConfigValues {
  return Object.fromEntries(
    propertiesOf(schema).map(([name, property]) => {
      const value = stored[name];
      if (property.type === 'boolean') return [name, value === true];
      return [name, value === undefined ? '' : String(value)];
    }),
  );
}

/** The values to send: empty fields left out, numbers as numbers. */
export function configToSend(schema: ObjectSchema, values: ConfigValues, keep: (name: string, value: string | boolean) => boolean = () => true): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [name, property] of propertiesOf(schema)) {
    const value = values[name];
    if (value === undefined || value === '' || !keep(name, value)) continue;
    config[name] = property.type === 'number' || property.type === 'integer' ? Number(value) : value;
  }
  return config;
}

export function ConfigFields({
  schema,
  values,
  onChange,
  errors,
  secretHints = {},
}: {
  schema: ObjectSchema;
  values: ConfigValues;
  onChange: (name: string, value: string | boolean) => void;
  errors: Readonly<Record<string, string>>;
  /** In an edit: the masked hint of each stored secret (its field may stay empty to keep it). */
  secretHints?: Readonly<Record<string, string>>;
}) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {propertiesOf(schema).map(([name, property]) => {
        const label = fieldLabel(name);
        const error = errors[name];
        if (property.type === 'boolean') {
          return <FormControlLabel key={name} control={<Checkbox checked={values[name] === true} onChange={(event) => onChange(name, event.target.checked)} />} label={label} />;
        }
        const hint = secretHints[name];
        const multiline = (property.maxLength ?? 0) >= 20_000;
        const secret = property.writeOnly === true;
        return (
          <TextField
            key={name}
            name={name}
            label={label}
            value={values[name] ?? ''}
            required={required.has(name) && hint === undefined}
            onChange={(event) => onChange(name, event.target.value)}
            error={error !== undefined}
            helperText={error ?? (hint !== undefined ? `${property.description ?? ''} ${hint}`.trim() : property.description)}
            select={property.enum !== undefined}
            multiline={multiline}
            minRows={multiline ? 3 : undefined}
            type={secret && !multiline ? 'password' : property.type === 'number' || property.type === 'integer' ? 'number' : 'text'}
            autoComplete={secret ? 'off' : undefined}
            slotProps={{ htmlInput: { maxLength: property.maxLength, spellCheck: false } }}
            fullWidth
          >
            {property.enum?.map((option) => (
              <MenuItem key={String(option)} value={String(option)}>
                {String(option)}
              </MenuItem>
            ))}
          </TextField>
        );
      })}
    </>
  );
}
