/**
 * Outside the Functions host, @azure/functions switches to test mode and warns once per function
 * registration. The local hosts use test mode on purpose, so those lines are noise to a CLI user.
 */
const TEST_MODE_WARNING = /^WARNING: (Failed to detect the Azure Functions runtime|Skipping call to register )/;

export async function withoutTestModeWarnings<T>(load: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && TEST_MODE_WARNING.test(args[0])) return;
    warn(...args);
  };
  try {
    return await load();
  } finally {
    console.warn = warn;
  }
}
