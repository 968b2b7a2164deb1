"""Render a kustomization the way `kubectl kustomize` does, for the subset of kustomize
that deploy/kubernetes uses: resources (files and directories), namespace, images, and
JSON 6902 patches with a kind/name target. Any other field is refused, so a manifest
cannot use a feature this renderer would silently skip."""

import copy
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]

_KNOWN_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
# Kinds without a namespace among those the manifests use.
_CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
_POD_SPEC_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


class KustomizeError(Exception):
    pass


def render(directory: Path) -> list[Manifest]:
    kustomization: Manifest = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - _KNOWN_FIELDS
    if unknown:
        raise KustomizeError(f"{directory}: fields this renderer does not apply: {unknown}")
    manifests: list[Manifest] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        if path.is_dir():
            manifests += render(path)
        else:
            manifests += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    if namespace := kustomization.get("namespace"):
        for manifest in manifests:
            if manifest["kind"] not in _CLUSTER_SCOPED:
                manifest["metadata"]["namespace"] = namespace
    for image in kustomization.get("images", []):
        _set_image(manifests, image)
    for patch in kustomization.get("patches", []):
        _apply_patch(manifests, patch, directory)
    return manifests


def containers(manifest: Manifest) -> list[Manifest]:
    """Every container and init container of a workload's pod template."""
    path = _POD_SPEC_PATHS.get(manifest["kind"])
    if path is None:
        return []
    spec: Any = manifest
    for key in path:
        spec = spec[key]
    return list(spec.get("containers", [])) + list(spec.get("initContainers", []))


def _set_image(manifests: list[Manifest], image: Manifest) -> None:
    for manifest in manifests:
        for container in containers(manifest):
            name = _without_tag(container["image"])
            if name == image["name"]:
                new_name = image.get("newName", name)
                container["image"] = (
                    f"{new_name}:{image['newTag']}" if "newTag" in image else new_name
                )


def _without_tag(image: str) -> str:
    """The image's name: no digest, no tag (a registry's port is not a tag)."""
    name = image.split("@")[0]
    registry_and_path, _, last = name.rpartition("/")
    repository = last.split(":")[0]
    return f"{registry_and_path}/{repository}" if registry_and_path else repository


def _apply_patch(manifests: list[Manifest], patch: Manifest, directory: Path) -> None:
    target = patch["target"]
    operations = yaml.safe_load(
        patch["patch"] if "patch" in patch else (directory / patch["path"]).read_text()
    )
    if not isinstance(operations, list):
        raise KustomizeError(
            f"{directory}: only JSON 6902 patches (a list of operations) are rendered"
        )
    matched = [
        m
        for m in manifests
        if m["kind"] == target["kind"] and m["metadata"]["name"] == target["name"]
    ]
    if not matched:
        raise KustomizeError(f"{directory}: no {target['kind']} {target['name']} to patch")
    for manifest in matched:
        for operation in operations:
            _apply_operation(manifest, operation)


def _apply_operation(document: Manifest, operation: Manifest) -> None:
    *parents, last = [
        part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]
    ]
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    op = operation["op"]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op == "add":
            node.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            node[index] = copy.deepcopy(operation["value"])
        elif op == "remove":
            del node[index]
        else:
            raise KustomizeError(f"unsupported patch operation {op!r}")
        return
    if op in ("replace", "remove") and last not in node:
        raise KustomizeError(f"{operation['path']}: nothing there to {op}")
    if op in ("add", "replace"):
        node[last] = copy.deepcopy(operation["value"])
    elif op == "remove":
        del node[last]
    else:
        raise KustomizeError(f"unsupported patch operation {op!r}")
