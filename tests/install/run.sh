#!/usr/bin/env bash
# tst_install: installs the build into a temporary prefix, then builds and runs, against that
# prefix only (no LD_LIBRARY_PATH, no build tree on any path), what a user would write:
#   - cpp-app: a C++ program (the core component);
#   - quick-app: a Qt Quick program using Store, LiveQuery and ClientDocument (the Quick component
#     and the installed QML module), and one that embeds `import LiveStore.Inspector` on its Store;
#   - the installed livestore-inspector on a store the installed livestore made;
#   - the README's "Getting started" C++ program and CMakeLists.txt, and its QML file, cut out of
#     README.md as they stand there.
# Usage: run.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
source=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

step() { printf '\n== %s\n' "$*"; }

step "cmake --install into a temporary prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"

# The environment a user's program runs in: nothing of the build tree, our QML module by its
# documented import path, a home of its own (the README's program writes to its data folder).
run() {
    env -u LD_LIBRARY_PATH HOME="$work/home" XDG_DATA_HOME="$work/home/data" \
        QT_QPA_PLATFORM=offscreen QML_IMPORT_PATH="$prefix/lib/qt6/qml" "$@"
}

build_app() { # name source-dir
    step "configure and build $1 against the installed copy"
    cmake -S "$2" -B "$work/$1-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$work/$1-configure.log" || { cat "$work/$1-configure.log"; exit 1; }
    cmake --build "$work/$1-build" || exit 1
}

# The fenced block of kind $2 that follows heading $1 in README.md (the first one after it).
readme_block() {
    awk -v heading="$1" -v kind="$2" '
        $0 == heading { inside = 1; next }
        inside && /^## / { exit }
        inside && !open && $0 == "```" kind { open = 1; next }
        open && $0 == "```" { exit }
        open { print }
    ' "$source/README.md"
}

build_app cpp-app "$source/tests/install/cpp-app"
step "run cpp-app"
run "$work/cpp-app-build/installed_cpp_app"

build_app quick-app "$source/tests/install/quick-app"
step "run quick-app with Main.qml"
run "$work/quick-app-build/installed_quick_app" "$source/tests/install/quick-app/Main.qml"

step "run quick-app with Inspector.qml (import LiveStore.Inspector)"
run "$work/quick-app-build/installed_quick_app" "$source/tests/install/quick-app/Inspector.qml"

step "the installed livestore-inspector on a store the installed livestore made"
run "$prefix/bin/livestore" --store "$work/store/todos" --schema "$source/examples/schemas/todos.json" \
    commit v1.TodoCreated '{"id":"a","text":"Buy milk"}' > /dev/null
# QML_IMPORT_TRACE names each qmldir the engine reads: the inspector's must be the installed one,
# not the build tree's (which is still there).
run env QML_IMPORT_TRACE=1 "$prefix/bin/livestore-inspector" --timing "$work/store/todos" > "$work/inspector.log" 2>&1 \
    || { cat "$work/inspector.log"; exit 1; }
grep '^first screen' "$work/inspector.log"
if grep -q "$build/qml" "$work/inspector.log"; then
    echo "the installed livestore-inspector loaded a QML module of the build tree:"
    grep "$build/qml" "$work/inspector.log" | head -n 5
    exit 1
fi

step "the README's C++ program, as written"
mkdir -p "$work/readme-cpp"
readme_block "## Getting started with C++" cmake > "$work/readme-cpp/CMakeLists.txt"
readme_block "## Getting started with C++" cpp > "$work/readme-cpp/main.cpp"
[ -s "$work/readme-cpp/CMakeLists.txt" ] && [ -s "$work/readme-cpp/main.cpp" ] \
    || { echo "README.md has no cmake and cpp blocks under '## Getting started with C++'"; exit 1; }
build_app readme-cpp "$work/readme-cpp"
exe=$(find "$work/readme-cpp-build" -maxdepth 1 -type f -executable | head -n 1)
run "$exe" "Buy milk"
run "$exe" "Walk the dog"   # a second run: the store persists, ids do not collide

step "the README's QML file, as written"
readme_block "## Getting started with QML" qml > "$work/readme.qml"
[ -s "$work/readme.qml" ] || { echo "README.md has no qml block under '## Getting started with QML'"; exit 1; }
run "$work/quick-app-build/installed_quick_app" "$work/readme.qml"

printf '\ninstall test: OK\n'
