import { KEEP_ON_ERROR_ENV, keptPathSuite } from '../support/kept-path-suite';
import { useSharedStack } from '../support/shared-stack';

// The default backend's run of the keep-on-error cases (each other backend runs them in test/tracing-backends).
keptPathSuite(useSharedStack(KEEP_ON_ERROR_ENV));
