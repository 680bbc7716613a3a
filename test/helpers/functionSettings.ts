import { hostSettings } from '../../local/harness/stack';

/**
 * Imported before a function file in an in-process test: a function file builds its services from
 * process.env as it loads (the test then hands its handler services of its own), so the settings must be
 * valid by then. Nothing is contacted at load.
 */
for (const [name, value] of Object.entries(hostSettings())) process.env[name] ??= value;
