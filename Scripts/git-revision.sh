#!/bin/sh
# Writes BuildRevision.id into $2: the git commit of the package in $1, "-dirty" when tracked
# files differ from it; outside a git checkout $CIFAKE_GIT_REVISION, else "unknown". Rewritten only when it changed, so
# that an unchanged revision recompiles nothing. Run by Plugins/GitRevision before every build.
package="$1"
out="$2"
revision=$(git -C "$package" rev-parse --short=12 HEAD 2>/dev/null) || revision="${CIFAKE_GIT_REVISION:-unknown}"
if [ "$revision" != unknown ] && [ -n "$(git -C "$package" --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    revision="$revision-dirty"
fi
mkdir -p "$(dirname "$out")"
text="extension BuildRevision { public static let id = \"$revision\" }"
if [ "$(cat "$out" 2>/dev/null)" != "$text" ]; then
    printf '%s\n' "$text" > "$out.tmp" && mv "$out.tmp" "$out"
fi
