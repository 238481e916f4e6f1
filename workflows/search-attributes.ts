// Search attributes on every wearhouse workflow, so operators can list one user's workflows:
//   temporal workflow list --query 'WearhouseUser="alice"'
import { defineSearchAttributeKey } from '@temporalio/common';

export const WEARHOUSE_USER = defineSearchAttributeKey('WearhouseUser', 'KEYWORD');
export const WEARHOUSE_PROVIDER = defineSearchAttributeKey('WearhouseProvider', 'KEYWORD');
export const SEARCH_ATTRIBUTE_NAMES = [WEARHOUSE_USER.name, WEARHOUSE_PROVIDER.name] as const;
