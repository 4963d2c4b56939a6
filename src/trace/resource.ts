// The resource: what every exported span says about where it came from (OpenTelemetry
// resource semantic conventions). Built once at startup from OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES plus what the process knows about itself.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseKeyValueList } from './key-value-list.js';
import type { AttributeValue } from './span.js';

/** OTEL_RESOURCE_ATTRIBUTES as its attributes (key-value-list.ts says how it is read). */
export function parseResourceAttributes(raw: string | undefined): Record<string, string> {
  return parseKeyValueList(raw, 'OTEL_RESOURCE_ATTRIBUTES');
}

export interface ResourceOptions {
  /** OTEL_SERVICE_NAME: wins over a service.name in raw when set and not empty. */
  readonly serviceName?: string | undefined;
  /** OTEL_RESOURCE_ATTRIBUTES, unparsed. */
  readonly raw?: string | undefined;
  /** Defaults to package.json's version when found. */
  readonly serviceVersion?: string | undefined;
  readonly pid?: number;
  readonly hostName?: string;
}

export const DEFAULT_SERVICE_NAME = 'turbina';

/**
 * The resource's attributes: the process's own (service.version, telemetry.sdk.*,
 * process.pid, host.name), then OTEL_RESOURCE_ATTRIBUTES over them (the operator knows
 * better), then service.name: OTEL_SERVICE_NAME, else raw's, else 'turbina'.
 * Throws as parseResourceAttributes does.
 */
export function resourceAttributes(options: ResourceOptions = {}): Record<string, AttributeValue> {
  const parsed = parseResourceAttributes(options.raw);
  const attributes: Record<string, AttributeValue> = {};
  const version = options.serviceVersion ?? packageVersion();
  if (version !== undefined) attributes['service.version'] = version;
  attributes['telemetry.sdk.name'] = 'turbina';
  attributes['telemetry.sdk.language'] = 'nodejs';
  attributes['process.pid'] = options.pid ?? process.pid;
  attributes['host.name'] = options.hostName ?? hostname();
  Object.assign(attributes, parsed);
  const serviceName = options.serviceName?.trim();
  attributes['service.name'] = serviceName || parsed['service.name'] || DEFAULT_SERVICE_NAME;
  return attributes;
}

/**
 * turbina's version from its package.json, found by walking up from this module (the
 * build puts it at different depths), or undefined when not found. Read once, at startup.
 */
export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let depth = 0; depth < 6; depth++) {
    try {
      const manifest: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (isTurbinaManifest(manifest)) return manifest.version;
    } catch {
      // No package.json here (or not JSON): keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

function isTurbinaManifest(value: unknown): value is { name: string; version: string } {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return record['name'] === 'turbina' && typeof record['version'] === 'string';
}
