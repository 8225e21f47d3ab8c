import { CommandError } from '@steward/commands';
import { ModelSettingsErrorCode } from '@steward/contracts';

export { ModelSettingsErrorCode };

/**
 * A model-settings command refused: a broken rule, a workspace the actor
 * cannot see, a conflict. For INVALID_COMMAND `field` names the payload field at fault.
 */
export class ModelSettingsError extends CommandError<ModelSettingsErrorCode> {
  override readonly name = 'ModelSettingsError';
}
