"""The validator's checks, one module per part of a policy; ``policy.validate`` runs them in order.

``checker`` holds the state shared by one document's checks, ``codes`` every finding code with
its severity, ``limits`` the AWS quotas and character rules, ``structure`` the elements,
then one module each for actions, principals, resources, policy variables and conditions.
"""
