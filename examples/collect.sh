#!/usr/bin/env bash
# collect.sh -- write a cksmodel account bundle with the AWS CLI (v2), no jq needed.
#
# Usage: examples/collect.sh [--region REGION] OUT_DIR
#
# OUT_DIR must not exist yet (or be empty). The bundle is collected in a
# temporary sibling folder and moved to OUT_DIR only when every required part
# was written, so a failed run leaves nothing half-written.
#
# Bundle layout (read by cksmodel.account.bundle.load_bundle; every file except
# account.json is a command's output, unmodified):
#
#   account.json
#       {"account_id": "111122223333", "partition": "aws",
#        "organization_id": "o-exampleorgid", "management_account": "999999999999",
#        "regions": ["us-east-1"]}
#       account_id is required, the rest optional. Written from
#       `aws sts get-caller-identity` and `aws organizations describe-organization`.
#   iam/account-authorization-details.json          (required)
#       aws iam get-account-authorization-details
#       Users with their inline, attached and group policies and permissions
#       boundaries, groups, roles with trust policies (service-linked roles such
#       as AWSServiceRoleForKeyManagementServiceCustomKeyStores included), and
#       every attached managed policy with all its versions (IsDefaultVersion
#       marks the one in force). Do not pass --filter: a policy attached to
#       someone but missing from Policies is an error.
#   kms/custom-key-stores.json                      (optional)
#       aws kms describe-custom-key-stores
#   kms/keys/<key-id>/describe-key.json             (required for each key)
#       aws kms describe-key --key-id KEY
#   kms/keys/<key-id>/key-policy.json               (required for each key)
#       aws kms get-key-policy --key-id KEY --policy-name default
#   kms/keys/<key-id>/grants.json                   (optional)
#       aws kms list-grants --key-id KEY
#   cloudhsm/clusters.json                          (optional)
#       aws cloudhsmv2 describe-clusters
#   lambda/functions.json                           (optional)
#       aws lambda list-functions
#   ec2/instances.json                              (optional)
#       aws ec2 describe-instances
#   ecs/clusters.json                               (optional)
#       aws ecs list-clusters
#   ecs/services/<cluster-name>/list-services.json
#       aws ecs list-services --cluster CLUSTER
#   ecs/services/<cluster-name>/describe-NN.json
#       aws ecs describe-services --cluster CLUSTER --services (10 ARNs per file)
#   ecs/task-definitions/<family>-<revision>.json
#       aws ecs describe-task-definition --task-definition ARN (each one in use)
#   cloudformation/stacks.json                      (optional)
#       aws cloudformation describe-stacks
#   glue/dev-endpoints.json                         (optional)
#       aws glue get-dev-endpoints
#       Compute that runs as a role: whoever can change what it runs acts as
#       that role (EC2 instances through the instance profiles of the IAM file).
#   organizations/scp/<NN>-<target>/<policy-id>.json   (optional)
#   organizations/rcp/<NN>-<target>/<policy-id>.json   (optional)
#       aws organizations describe-policy --policy-id ID
#       One folder per level of the account's organization path, NN ordering
#       them: 00-<root id>, 01-<ou id>, ..., then the account itself last.
#       Each holds every policy of that type attached to that target.
#
# What each missing optional part means for the answers is listed in
# Account.warnings when the bundle is loaded (e.g. without SCPs, REFUTED results
# may be blocked by SCPs in reality while PROVED results still hold).
#
# Permissions: read-only (iam:GetAccountAuthorizationDetails, kms:List*,
# kms:Describe*, kms:GetKeyPolicy, cloudhsm:DescribeClusters, lambda:ListFunctions,
# ec2:DescribeInstances, ecs:ListClusters, ecs:ListServices, ecs:DescribeServices,
# ecs:DescribeTaskDefinition, cloudformation:DescribeStacks,
# glue:GetDevEndpoints). The organizations
# part works only from the management account or a delegated administrator of
# AWS Organizations; elsewhere it is skipped with a message, and you can copy
# the describe-policy outputs in by hand.
#
# One region per run: KMS keys, custom key stores and CloudHSM clusters are
# regional. Collect each region into its own bundle.

set -euo pipefail

export AWS_PAGER=""

usage() {
    echo "usage: $0 [--region REGION] OUT_DIR"
}

warn() {
    echo "collect.sh: $*" >&2
}

region=""
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --region)
            [ $# -ge 2 ] || { usage >&2; exit 2; }
            region="$2"
            shift 2
            ;;
        --region=*)
            region="${1#*=}"
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
# (Explicit status checks: set -e does not apply inside a function called from
# an `if` condition, as try_save does.)
save() {
    local file="$1"
    shift
    mkdir -p "$(dirname "$file")"
    if ! "$@" --output json >"$file.tmp"; then
        rm -f "$file.tmp"
        return 1
    fi
    mv "$file.tmp" "$file"
}

# try_save FILE COMMAND...: like save, but a failure only warns (optional parts).
try_save() {
    local file="$1"
    shift
    if ! save "$file" "$@" 2>"$work/.err"; then
        warn "skipped ${file#"$work"/}: $(tr '\n' ' ' <"$work/.err")"
        return 1
    fi
}

# --- account.json ---------------------------------------------------------------

identity="$(aws sts get-caller-identity --query '[Account, Arn]' --output text)"
read -r account_id caller_arn <<<"$identity"
partition="$(echo "$caller_arn" | cut -d: -f2)"
org_id=""
management=""
if org="$(aws organizations describe-organization \
    --query 'Organization.[Id, MasterAccountId]' --output text 2>/dev/null)"; then
    read -r org_id management <<<"$org"
fi
{
    printf '{\n    "account_id": "%s",\n    "partition": "%s",\n' "$account_id" "$partition"
    if [ -n "$org_id" ]; then
        printf '    "organization_id": "%s",\n' "$org_id"
        printf '    "management_account": "%s",\n' "$management"
    fi
    printf '    "regions": ["%s"]\n}\n' "$region"
} >"$work/account.json"
echo "account $account_id ($partition), region $region${org_id:+, organization $org_id}"

# --- IAM (required) -------------------------------------------------------------

echo "iam: get-account-authorization-details"
save "$work/iam/account-authorization-details.json" \
    aws iam get-account-authorization-details

# --- KMS --------------------------------------------------------------------------

echo "kms: custom key stores"
try_save "$work/kms/custom-key-stores.json" \
    aws kms describe-custom-key-stores --region "$region" || true

mkdir -p "$work/kms/keys"
key_text="$(aws kms list-keys --region "$region" --query 'Keys[].KeyId' --output text)"
# The text output puts one page per line: read every line, not just the first.
read -r -d '' -a key_ids <<<"$key_text" || true
for key_id in "${key_ids[@]}"; do
    [ "$key_id" = "None" ] && continue
    folder="$work/kms/keys/$key_id"
    echo "kms: key $key_id"
    save "$folder/describe-key.json" aws kms describe-key --region "$region" --key-id "$key_id"
    if ! try_save "$folder/key-policy.json" aws kms get-key-policy --region "$region" \
        --key-id "$key_id" --policy-name default; then
        # A key without its key policy cannot be analysed; leave it out entirely.
        warn "key $key_id left out of the bundle: its key policy could not be read"
        rm -rf "$folder"
        continue
    fi
    try_save "$folder/grants.json" \
        aws kms list-grants --region "$region" --key-id "$key_id" || true
done

# --- CloudHSM (optional) ----------------------------------------------------------

echo "cloudhsm: clusters"
try_save "$work/cloudhsm/clusters.json" \
    aws cloudhsmv2 describe-clusters --region "$region" || true

# --- Compute that runs as a role (optional) -----------------------------------------

echo "lambda: functions"
try_save "$work/lambda/functions.json" aws lambda list-functions --region "$region" || true

echo "ec2: instances"
try_save "$work/ec2/instances.json" aws ec2 describe-instances --region "$region" || true

echo "ecs: clusters, services and their task definitions"
if try_save "$work/ecs/clusters.json" aws ecs list-clusters --region "$region"; then
    cluster_text="$(aws ecs list-clusters --region "$region" \
        --query 'clusterArns[]' --output text)"
    read -r -d '' -a clusters <<<"$cluster_text" || true
    for cluster in "${clusters[@]}"; do
        [ "$cluster" = "None" ] && continue
        folder="$work/ecs/services/${cluster##*/}"
        try_save "$folder/list-services.json" \
            aws ecs list-services --region "$region" --cluster "$cluster" || continue
        service_text="$(aws ecs list-services --region "$region" --cluster "$cluster" \
            --query 'serviceArns[]' --output text)"
        read -r -d '' -a services <<<"$service_text" || true
        page=0
        for ((i = 0; i < ${#services[@]}; i += 10)); do
            [ "${services[$i]}" = "None" ] && continue
            page=$((page + 1))
            try_save "$folder/$(printf 'describe-%02d' "$page").json" \
                aws ecs describe-services --region "$region" --cluster "$cluster" \
                --services "${services[@]:i:10}" || true
        done
        if [ "$page" -gt 0 ]; then
            definition_text="$(cat "$folder"/describe-*.json 2>/dev/null |
                grep -o '"taskDefinition": *"[^"]*"' | sed 's/.*"\(arn:[^"]*\)"/\1/' |
                sort -u || true)"
            for definition in $definition_text; do
                name="${definition##*/}"
                try_save "$work/ecs/task-definitions/${name/:/-}.json" \
                    aws ecs describe-task-definition --region "$region" \
                    --task-definition "$definition" || true
            done
        fi
    done
fi

echo "cloudformation: stacks"
try_save "$work/cloudformation/stacks.json" \
    aws cloudformation describe-stacks --region "$region" || true

echo "glue: development endpoints"
try_save "$work/glue/dev-endpoints.json" aws glue get-dev-endpoints --region "$region" || true

# --- Organizations (optional) -------------------------------------------------------

collect_org_policies() {
    local kind="$1" filter="$2"
    local index target level policy_ids policy_id
    for index in "${!targets[@]}"; do
        target="${targets[$index]}"
        level="$work/organizations/$kind/$(printf '%02d' "$index")-$target"
        if ! policy_ids="$(aws organizations list-policies-for-target --target-id "$target" \
            --filter "$filter" --query 'Policies[].Id' --output text 2>"$work/.err")"; then
            warn "no ${kind}s collected: $(tr '\n' ' ' <"$work/.err")"
            rm -rf "$work/organizations/$kind"
            return 0
        fi
        mkdir -p "$level"
        read -r -d '' -a ids <<<"$policy_ids" || true
        for policy_id in "${ids[@]}"; do
            [ "$policy_id" = "None" ] && continue
            echo "organizations: $kind $target $policy_id"
            save "$level/$policy_id.json" aws organizations describe-policy --policy-id "$policy_id"
        done
    done
}

targets=("$account_id")
child="$account_id"
org_ok=1
while :; do
    if ! parent="$(aws organizations list-parents --child-id "$child" \
        --query 'Parents[0].[Id, Type]' --output text 2>"$work/.err")"; then
        warn "organizations skipped (needs the management account or a delegated" \
            "administrator): $(tr '\n' ' ' <"$work/.err")"
        org_ok=0
        break
    fi
    read -r parent_id parent_type <<<"$parent"
    if [ "$parent_id" = "None" ]; then
        org_ok=0
        break
    fi
    targets=("$parent_id" "${targets[@]}")
    [ "$parent_type" = "ROOT" ] && break
    child="$parent_id"
done
if [ "$org_ok" = 1 ]; then
    collect_org_policies scp SERVICE_CONTROL_POLICY
    collect_org_policies rcp RESOURCE_CONTROL_POLICY
fi

# --- done: move the bundle into place ---------------------------------------------

rm -f "$work/.err"
if [ -d "$out" ]; then
    rmdir "$out"
fi
mv "$work" "$out"
trap - EXIT
echo "bundle written to $out"
