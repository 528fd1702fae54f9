import { readFileSync } from 'node:fs';
import type { SlackIntegrationLogsReceiverOptions } from './options.js';

/** A secret setting's value at start, and the file it came from (re-read when it changes). */
export interface SecretSetting {
  value: string;
  file?: string;
}

/** Token rotation's settings, all three given. */
export interface RotationConfig {
  clientId: string;
  clientSecret: SecretSetting;
  refreshToken: SecretSetting;
}

/**
 * Token rotation's settings: none, or the refresh token, client ID and client secret together
 * (each secret directly or from a `*_FILE`). Problems and warnings are added to the lists; no
 * message echoes a secret.
 */
export function resolveRotation(
  options: SlackIntegrationLogsReceiverOptions,
  problems: string[],
  warnings: string[],
): RotationConfig | undefined {
  if (!rotationRequested(options)) return undefined;
  const { refreshToken, refreshTokenFile, clientId, clientSecret, clientSecretFile } = options;
  const missing = [
    refreshToken === undefined && refreshTokenFile === undefined ? 'SLACK_REFRESH_TOKEN (or SLACK_REFRESH_TOKEN_FILE)' : '',
    clientId?.trim() ? '' : 'SLACK_CLIENT_ID',
    clientSecret === undefined && clientSecretFile === undefined ? 'SLACK_CLIENT_SECRET (or SLACK_CLIENT_SECRET_FILE)' : '',
  ].filter(Boolean);
  if (missing.length > 0) {
    problems.push(
      `token rotation needs SLACK_REFRESH_TOKEN, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET together: set ${missing.join(' and ')}`,
    );
    return undefined;
  }
  const refresh = secret(refreshToken, refreshTokenFile, 'SLACK_REFRESH_TOKEN', problems, warnings);
  const client = secret(clientSecret, clientSecretFile, 'SLACK_CLIENT_SECRET', problems, warnings);
  if (refresh && !/^xoxe-/.test(refresh.value)) {
    warnings.push('the refresh token does not start with xoxe-: token rotation gives refresh tokens like xoxe-1-...');
  }
  return refresh && client ? { clientId: clientId!.trim(), clientSecret: client, refreshToken: refresh } : undefined;
}

/** Whether any of token rotation's settings is given (then no `SLACK_TOKEN` is needed). */
export function rotationRequested(options: SlackIntegrationLogsReceiverOptions): boolean {
  const { refreshToken, refreshTokenFile, clientId, clientSecret, clientSecretFile } = options;
  return [refreshToken, refreshTokenFile, clientId, clientSecret, clientSecretFile].some((v) => v !== undefined);
}

/** `NAME` or `NAME_FILE`, read and checked; the direct value wins. */
function secret(
  value: string | undefined,
  file: string | undefined,
  name: string,
  problems: string[],
  warnings: string[],
): SecretSetting | undefined {
  if (value !== undefined && file !== undefined) warnings.push(`${name} and ${name}_FILE are both set: ${name} is used`);
  let text = value?.trim();
  if (text === undefined && file !== undefined) {
    if (/xox[a-z]/i.test(file)) {
      problems.push(
        `${name}_FILE holds what looks like a token, not a file path: put the value in ${name}, or its file path in ${name}_FILE`,
      );
      return undefined;
    }
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (e) {
      problems.push(`${name}_FILE ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }
  if (!text) {
    problems.push(`${file !== undefined && value === undefined ? `${name}_FILE ${file}` : name} is empty`);
    return undefined;
  }
  if (!/^[\x21-\x7e]+$/.test(text)) {
    problems.push(`${name} holds spaces, line breaks or non-ASCII characters: copy the value again, alone`);
    return undefined;
  }
  return value !== undefined ? { value: text } : { value: text, file: file! };
}
