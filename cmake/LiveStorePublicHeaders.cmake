# SPDX-License-Identifier: BSD-3-Clause
# Public headers are included as <LiveStore/store.h> (or Qt style, <LiveStore/Store>), in this
# build tree and from an installed copy alike: nothing of ours sits at the include root.
#
# livestore_public_headers(TARGET <target> HEADERS <file>... [CLASSES <Class>=<file>...])
#   - in the build tree, writes forwarding headers to <build>/include/LiveStore/ and adds
#     <build>/include to the target's build interface;
#   - installs the headers flat into <prefix>/include/LiveStore/ (their includes of each other are
#     by plain file name, so they find each other there), with the CamelCase forwarding headers
#     named in CLASSES.
set(LIVESTORE_FORWARDING_INCLUDE_DIR ${PROJECT_BINARY_DIR}/include)

function(livestore_public_headers)
    cmake_parse_arguments(ARG "" "TARGET" "HEADERS;CLASSES" ${ARGN})
    set(dir ${LIVESTORE_FORWARDING_INCLUDE_DIR}/LiveStore)
    set(camel_dir ${PROJECT_BINARY_DIR}/include-camelcase/${ARG_TARGET})
    foreach(header IN LISTS ARG_HEADERS)
        get_filename_component(absolute ${header} ABSOLUTE)
        get_filename_component(name ${header} NAME)
        file(CONFIGURE OUTPUT ${dir}/${name} CONTENT "#include \"${absolute}\"\n" @ONLY)
    endforeach()
    foreach(pair IN LISTS ARG_CLASSES)
        string(REPLACE "=" ";" parts ${pair})
        list(GET parts 0 class)
        list(GET parts 1 file)
        # The same text serves both trees: "store.h" is found next to it in either.
        file(CONFIGURE OUTPUT ${dir}/${class} CONTENT "#include \"${file}\"\n" @ONLY)
        file(CONFIGURE OUTPUT ${camel_dir}/${class} CONTENT "#include \"${file}\"\n" @ONLY)
        install(FILES ${camel_dir}/${class} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/LiveStore)
    endforeach()
    target_include_directories(${ARG_TARGET} PUBLIC
        $<BUILD_INTERFACE:${LIVESTORE_FORWARDING_INCLUDE_DIR}>
        $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    install(FILES ${ARG_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/LiveStore)
endfunction()
