/** Usage lines of every command, kept light so `--help` loads no command module. */
export const EXPLAIN_USAGE = `usage: aks-fleet-scanner explain <file|-> [--format text|json|markdown|csv] [--input-format json|log|text]
                                 [--fail-on FAIL|WARN [--ignore-waived]] [--waivers FILE]... [--no-default-waivers]`;

export const DIFF_USAGE = `usage: aks-fleet-scanner diff <old> <new> [--fail-on-new] [--format text|json|markdown|csv] [--input-format json|log|text]`;

export const SCAN_USAGE = `usage: aks-fleet-scanner scan [--subscription ID]... [--cluster RESOURCE_ID]... [--nodes per-pool|all]
                              [--benchmark auto|aks-1.0|aks-1.7|aks-1.8] [--concurrency N] [--format text|json]
                              [--arm-endpoint URL --arm-ca FILE] [--simulate [FLEET.json]] [--storage CONNECTION|URL] [--discovery arm|resource-graph]
                              [--namespace NAME]`;

export const DOCTOR_USAGE = `usage: aks-fleet-scanner doctor (--cluster RESOURCE_ID | --subscription ID)... [--format text|json] [--namespace NAME]
                                [--arm-endpoint URL --arm-ca FILE] [--simulate [FLEET.json]]`;

export const CHECKS_USAGE = `usage: aks-fleet-scanner checks [--benchmark aks-1.0|aks-1.7|aks-1.8|cis-1.5 ... cis-1.24] [--topic TOPIC] [--format text|json|markdown|csv]`;

export const SIMULATOR_USAGE = `usage: aks-fleet-scanner simulator [--fleet FILE] [--port N] [--seed N] [--page-size N] [--command-ms N]`;

export const DEMO_USAGE = `usage: aks-fleet-scanner demo [--clusters N] [--once] [--format text|json] [--port N] [--scans 1|2] [--webhook URL]`;

export const SERVE_USAGE = `usage: aks-fleet-scanner serve [--port 7071] [--storage CONNECTION|URL] [--no-worker]   (default storage: AZURE_STORAGE_CONNECTION_STRING / AzureWebJobsStorage)`;

export const WAIVERS_USAGE = `usage: aks-fleet-scanner waivers import FILE | export FILE|- [--storage CONNECTION|URL]   (default storage: AZURE_STORAGE_CONNECTION_STRING / AzureWebJobsStorage)`;

export const USAGES = [EXPLAIN_USAGE, DIFF_USAGE, CHECKS_USAGE, SCAN_USAGE, DOCTOR_USAGE, DEMO_USAGE, SERVE_USAGE, WAIVERS_USAGE, SIMULATOR_USAGE].join('\n');
