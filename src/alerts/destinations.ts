import type { AlertKind } from './kinds.js';
import { quietUntil } from './local-time.js';
import { routesFor, type AlertSettings } from './settings.js';

/** Where one message goes, on whose behalf, and not before when. */
export interface Destination {
  /** "email:<address>" or "webhook:<name>". */
  destination: string;
  routes: string[];
  notBefore: Date;
}

/**
 * The destinations of an incident's messages: each destination once, however many of
 * its routes match. A destination waits only while every route that sends to it is in
 * its quiet hours, and then until the earliest of them ends.
 */
export function destinationsFor(settings: AlertSettings, kind: AlertKind, pipeline: string, now: Date): Destination[] {
  const found = new Map<string, Destination>();
  for (const route of routesFor(settings, kind, pipeline)) {
    const quiet = route.quietHours ? quietUntil(now, settings.timezone, route.quietHours) : null;
    const notBefore = quiet ?? now;
    for (const destination of route.destinations) {
      const entry = found.get(destination);
      if (!entry) found.set(destination, { destination, routes: [route.name], notBefore });
      else {
        entry.routes.push(route.name);
        if (notBefore < entry.notBefore) entry.notBefore = notBefore;
      }
    }
  }
  return [...found.values()];
}

/** Each destination's quiet-hours wait, for the destinations an incident was already told to. */
export function notBeforeFor(settings: AlertSettings, routes: readonly string[], now: Date): Date {
  let earliest: Date | null = null;
  for (const name of routes) {
    const route = settings.routes.find((r) => r.name === name);
    const quiet = route?.quietHours ? quietUntil(now, settings.timezone, route.quietHours) : null;
    const at = quiet ?? now;
    if (earliest === null || at < earliest) earliest = at;
  }
  return earliest ?? now;
}
