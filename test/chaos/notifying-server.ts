/**
 * The real service process (src/server.ts startServer, configured from the environment) with the
 * fault tests' notify hook: `node --import tsx test/chaos/notifying-server.ts`. SIGTERM closes it
 * gracefully; the fault test SIGKILLs it.
 */
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';
import { queueNotifyOnFinal } from './notify-hook.ts';

const server = await startServer(loadConfig(), { onPaymentFinal: queueNotifyOnFinal });
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
