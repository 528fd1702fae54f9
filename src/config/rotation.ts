import { readFileSync } from 'node:fs';
import { KINDS } from './kinds.js';
import type { SettingsReader } from './reader.js';
import { settingOf } from './settings.js';

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

const ROWS = ['refreshToken', 'refreshTokenFile', 'clientId', 'clientSecret', 'clientSecretFile'] as const;

/** Whether any of token rotation's settings is given (then no `SLACK_TOKEN` is needed). */
export function rotationRequested(r: SettingsReader): boolean {
  return ROWS.some((option) => r.source(settingOf(option)) !== undefined);
}

/**
 * Token rotation's settings: none, or the refresh token, client ID and client secret together
 * (each secret directly or from a `*_FILE`). Problems go to the reader, warnings to the list; no
 * message echoes a secret.
 */
export function resolveRotation(r: SettingsReader, warnings: string[]): RotationConfig | undefined {
  if (!rotationRequested(r)) return undefined;
  const given = (option: (typeof ROWS)[number]) => r.source(settingOf(option)) !== undefined;
  const missing = [
    given('refreshToken') || given('refreshTokenFile') ? '' : 'SLACK_REFRESH_TOKEN (or SLACK_REFRESH_TOKEN_FILE)',
    given('clientId') ? '' : 'SLACK_CLIENT_ID',
    given('clientSecret') || given('clientSecretFile') ? '' : 'SLACK_CLIENT_SECRET (or SLACK_CLIENT_SECRET_FILE)',
  ].filter(Boolean);
  if (missing.length > 0) {
    r.problems.push(
      `token rotation needs SLACK_REFRESH_TOKEN, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET together: set ${missing.join(' and ')}`,
    );
    return undefined;
  }
  const clientId = r.read(settingOf('clientId'), KINDS.text);
  const refresh = secret(r, 'refreshToken', 'refreshTokenFile', 'SLACK_REFRESH_TOKEN', warnings);
  const client = secret(r, 'clientSecret', 'clientSecretFile', 'SLACK_CLIENT_SECRET', warnings);
  if (refresh && !/^xoxe-/.test(refresh.value)) {
    warnings.push('the refresh token does not start with xoxe-: token rotation gives refresh tokens like xoxe-1-...');
  }
  return refresh && client && clientId ? { clientId, clientSecret: client, refreshToken: refresh } : undefined;
}

/** `NAME` or `NAME_FILE`, read and checked; the direct value wins. */
function secret(
  r: SettingsReader,
  option: 'refreshToken' | 'clientSecret',
  fileOption: 'refreshTokenFile' | 'clientSecretFile',
  name: string,
  warnings: string[],
): SecretSetting | undefined {
  const value = r.read(settingOf(option), KINDS.secret);
  const file = r.read(settingOf(fileOption), KINDS.path);
  if (value !== undefined && file !== undefined) warnings.push(`${name} and ${name}_FILE are both set: ${name} is used`);
  let text = value?.trim();
  if (text === undefined && file !== undefined) {
    if (/xox[a-z]/i.test(file)) {
      // Never echo it: it is the secret itself, put in the wrong variable.
      r.problems.push(
        `${name}_FILE holds what looks like a token, not a file path: put the value in ${name}, or its file path in ${name}_FILE`,
      );
      return undefined;
    }
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (e) {
      r.problems.push(`${name}_FILE ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }
  if (!text) {
    r.problems.push(`${file !== undefined && value === undefined ? `${name}_FILE ${file}` : name} is empty`);
    return undefined;
  }
  if (!/^[\x21-\x7e]+$/.test(text)) {
    r.problems.push(`${name} holds spaces, line breaks or non-ASCII characters: copy the value again, alone`);
    return undefined;
  }
  return value !== undefined ? { value: text } : { value: text, file: file! };
}
