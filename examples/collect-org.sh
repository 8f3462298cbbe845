#!/usr/bin/env bash
# collect-org.sh -- write a cksmodel organization bundle with the AWS CLI (v2), no jq needed.
#
# Usage: examples/collect-org.sh [--region REGION] [--role-name NAME] OUT_DIR
#
# Run it with credentials of the organization's management account (or of a
# delegated administrator of AWS Organizations). OUT_DIR must not exist yet (or
# be empty); the bundle is collected in a temporary sibling folder and moved to
# OUT_DIR at the end.
#
# Organization bundle layout (read by
# cksmodel.account.organization.read_organization; every file is a command's
# output, unmodified):
#
#   organization.json                    aws organizations describe-organization
#   roots.json                           aws organizations list-roots
#   parents/PARENT_ID/ous.json           aws organizations list-organizational-units-for-parent
#   parents/PARENT_ID/accounts.json      aws organizations list-accounts-for-parent
#                                        (PARENT_ID: each root, then every OU found)
#   accounts.json                        aws organizations list-accounts
#   policies/scp/POLICY_ID.json          aws organizations describe-policy
#   policies/scp/POLICY_ID.targets.json  aws organizations list-targets-for-policy
#   policies/rcp/...                     the same for resource control policies
#   accounts/ACCOUNT_ID/                 the account bundle of each ACTIVE account,
#                                        written by examples/collect.sh
#
# Member accounts: for each ACTIVE account other than the management account,
# the script assumes the role --role-name (default CksmodelReadOnly) with
# `aws sts assume-role` and runs examples/collect.sh in a subshell that alone
# holds the role's temporary credentials. Create that role in every member
# account beforehand (for example with a CloudFormation StackSet), trusting the
# management account and allowing only the read-only actions collect.sh lists.
# OrganizationAccountAccessRole works too (--role-name
# OrganizationAccountAccessRole) but holds administrator access. The management
# account is collected with the caller's own credentials.
#
# The organization's SCPs and RCPs apply to the members: a member bundle's own
# organizations/ folder is left out (collect.sh writes one only in the
# management account).
#
# Exit status: 0 when every ACTIVE account was collected. 1 when some account
# was skipped because its role could not be assumed or collect.sh failed there:
# each is reported, and the bundle is still written (reading it warns that
# their principals stay outside principals). 2 for bad usage. Any other failure
# (collecting the organization itself) stops the script, leaving nothing.

set -euo pipefail

export AWS_PAGER=""

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
    echo "usage: $0 [--region REGION] [--role-name NAME] OUT_DIR"
}

warn() {
    echo "collect-org.sh: $*" >&2
}

region=""
role_name="CksmodelReadOnly"
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --region | --role-name)
            [ $# -ge 2 ] || { usage >&2; exit 2; }
            if [ "$1" = --region ]; then region="$2"; else role_name="$2"; fi
            shift 2
            ;;
        --region=*)
            region="${1#*=}"
            shift
            ;;
        --role-name=*)
            role_name="${1#*=}"
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        -*)
            warn "unknown option $1"
            usage >&2
            exit 2
            ;;
        *)
            if [ -n "$out" ]; then
                warn "give one OUT_DIR"
                exit 2
            fi
            out="${1%/}"
            shift
            ;;
    esac
done
[ -n "$out" ] || { usage >&2; exit 2; }
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
    warn "$out exists and is not empty; choose a new folder"
    exit 2
fi
if [ -z "$region" ]; then
    region="$(aws configure get region || true)"
fi
[ -n "$region" ] || { warn "no region: pass --region or configure a default region"; exit 2; }

mkdir -p "$(dirname "$out")"
work="$(mktemp -d "${out}.partial.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# save FILE COMMAND...: run an AWS CLI command, writing its JSON output to FILE.
save() {
    local file="$1"
    shift
    mkdir -p "$(dirname "$file")"
    "$@" --output json >"$file.tmp"
    mv "$file.tmp" "$file"
}

# ids COMMAND...: the ids a listing command with --query prints (every page: the
# text output puts one page per line), separated by spaces; fails if it fails.
ids() {
    local text
    text="$("$@" --output text)" || return 1
    tr -s '[:space:]' ' ' <<<"${text//None/}"
}

# --- the management view ----------------------------------------------------------

echo "organizations: describe-organization, list-roots, list-accounts"
save "$work/organization.json" aws organizations describe-organization
read -r org_id management <<<"$(aws organizations describe-organization \
    --query 'Organization.[Id, MasterAccountId]' --output text)"
partition="$(aws sts get-caller-identity --query Arn --output text | cut -d: -f2)"
save "$work/roots.json" aws organizations list-roots
save "$work/accounts.json" aws organizations list-accounts

roots="$(ids aws organizations list-roots --query 'Roots[].Id')"
read -r -a pending <<<"$roots"
while [ "${#pending[@]}" -gt 0 ]; do
    parent="${pending[0]}"
    pending=("${pending[@]:1}")
    echo "organizations: children of $parent"
    save "$work/parents/$parent/ous.json" \
        aws organizations list-organizational-units-for-parent --parent-id "$parent"
    save "$work/parents/$parent/accounts.json" \
        aws organizations list-accounts-for-parent --parent-id "$parent"
    children="$(ids aws organizations list-organizational-units-for-parent \
        --parent-id "$parent" --query 'OrganizationalUnits[].Id')"
    read -r -a found <<<"$children"
    pending+=("${found[@]}")
done

for kind in scp rcp; do
    filter=SERVICE_CONTROL_POLICY
    [ "$kind" = rcp ] && filter=RESOURCE_CONTROL_POLICY
    if ! policy_text="$(ids aws organizations list-policies --filter "$filter" \
        --query 'Policies[].Id' 2>"$work/.err")"; then
        warn "no ${kind}s collected: $(tr '\n' ' ' <"$work/.err")"
        continue
    fi
    read -r -a policy_ids <<<"$policy_text"
    for policy_id in "${policy_ids[@]}"; do
        echo "organizations: $kind $policy_id"
        save "$work/policies/$kind/$policy_id.json" \
            aws organizations describe-policy --policy-id "$policy_id"
        save "$work/policies/$kind/$policy_id.targets.json" \
            aws organizations list-targets-for-policy --policy-id "$policy_id"
    done
done
rm -f "$work/.err"

# --- one account bundle per ACTIVE account ---------------------------------------------

active_text="$(ids aws organizations list-accounts \
    --query "Accounts[?Status=='ACTIVE' || State=='ACTIVE'].Id")"
read -r -a active <<<"$active_text"
skipped=()
for account in "${active[@]}"; do
    folder="$work/accounts/$account"
    echo "== account $account"
    if [ "$account" = "$management" ]; then
        if ! bash "$here/collect.sh" --region "$region" "$folder"; then
            warn "account $account skipped: collect.sh failed"
            skipped+=("$account")
        fi
    else
        role_arn="arn:$partition:iam::$account:role/$role_name"
        if ! credentials="$(aws sts assume-role --role-arn "$role_arn" \
            --role-session-name cksmodel-collect \
            --query 'Credentials.[AccessKeyId, SecretAccessKey, SessionToken]' \
            --output text)"; then
            warn "account $account skipped: cannot assume $role_arn"
            skipped+=("$account")
            continue
        fi
        read -r key secret token <<<"$credentials"
        # The role's credentials live only in this subshell's environment.
        if ! (
            unset AWS_PROFILE
            export AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret"
            export AWS_SESSION_TOKEN="$token"
            bash "$here/collect.sh" --region "$region" "$folder"
        ); then
            warn "account $account skipped: collect.sh failed as $role_arn"
            skipped+=("$account")
        fi
    fi
    rm -rf "$folder/organizations"
done

# --- done: move the bundle into place ---------------------------------------------

if [ -d "$out" ]; then
    rmdir "$out"
fi
mv "$work" "$out"
trap - EXIT
echo "organization $org_id: bundle written to $out"
if [ "${#skipped[@]}" -gt 0 ]; then
    warn "accounts skipped (their principals stay outside principals): ${skipped[*]}"
    exit 1
fi
