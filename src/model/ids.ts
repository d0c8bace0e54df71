/**
 * Azure identifiers the product accepts from settings, waivers, the API, queue messages and ARM.
 * One definition each, so a value accepted in one place is not refused in another.
 */

const GUID_TEXT = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/**
 * A subscription id: a GUID, in either case (ARM compares ids case-insensitively). Written without
 * the `i` flag so its source is also a valid OpenAPI `pattern`.
 */
export const GUID = new RegExp(`^${GUID_TEXT}$`);

/**
 * An AKS cluster's ARM resource id, in any case; the groups are the subscription id, the resource
 * group and the cluster name. The name segments are bounded by ARM's limits (resource group 1-90
 * characters, cluster name 1-63) but not checked character by character: ARM judges those.
 */
export const CLUSTER_ID = new RegExp(
  `^/subscriptions/(${GUID_TEXT})/resourcegroups/([^/]{1,90})/providers/microsoft\\.containerservice/managedclusters/([^/]{1,63})$`,
  'i',
);
