# Writes OUT (a C++ source defining dg::tools::build_commit()) from the git state of SRC. Run at
# every build by the dg_build_info target; configure_file leaves OUT untouched when nothing
# changed, so an unchanged tree rebuilds nothing.
set(commit "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SRC} rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE head RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
  if(rc EQUAL 0)
    set(commit "${head}")
    # Tracked files that differ from HEAD make the binary something no commit describes.
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SRC} status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE changes RESULT_VARIABLE rc2 ERROR_QUIET)
    if(rc2 EQUAL 0 AND NOT changes STREQUAL "")
      set(commit "${commit}-dirty")
    endif()
  endif()
endif()
set(DG_BUILD_COMMIT "${commit}")
configure_file(${TEMPLATE} ${OUT} @ONLY)
