# SPDX-License-Identifier: Apache-2.0
# The launcher's tests. Included from CMakeLists.txt inside if(HEARTH_TESTS).
#
# unit.launcher.*      GoogleTest: login link checks, navigation policy, window.ini
# launcher.desktop_entry  the desktop entry is valid and matches the window's app id
# launcher.webkit      the real hearth and hearthd on a private session bus and Xvfb
find_package(GTest REQUIRED)
include(GoogleTest)

set(HEARTH_LAUNCHER_DIR ${CMAKE_CURRENT_LIST_DIR}/../daemon/launcher)
set(HEARTH_LAUNCHER_TESTS_DIR ${CMAKE_CURRENT_LIST_DIR}/../tests/launcher)
file(GLOB LAUNCHER_UNIT_TESTS CONFIGURE_DEPENDS ${HEARTH_LAUNCHER_TESTS_DIR}/*_test.cpp)
# Only the launcher's pure parts: no D-Bus calls, no GTK.
add_executable(hearth_launcher_tests ${LAUNCHER_UNIT_TESTS}
               ${HEARTH_LAUNCHER_DIR}/login_url.cpp ${HEARTH_LAUNCHER_DIR}/navigation.cpp
               ${HEARTH_LAUNCHER_DIR}/window_state.cpp)
target_include_directories(hearth_launcher_tests PRIVATE
                           ${CMAKE_CURRENT_LIST_DIR}/../tests/unit)
target_link_libraries(hearth_launcher_tests PRIVATE hearth_core GTest::gtest GTest::gtest_main)
gtest_discover_tests(hearth_launcher_tests TEST_PREFIX "unit.launcher." DISCOVERY_TIMEOUT 30)

add_test(NAME launcher.desktop_entry
         COMMAND bash ${HEARTH_LAUNCHER_TESTS_DIR}/desktop_entry_test.sh
                 ${CMAKE_CURRENT_LIST_DIR}/..)

if(WEBKIT_FOUND)
  add_test(NAME launcher.webkit
           COMMAND bash ${HEARTH_LAUNCHER_TESTS_DIR}/launcher_test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(launcher.webkit PROPERTIES
    TIMEOUT 180
    ENVIRONMENT "HEARTH_SCREENSHOT_DIR=${CMAKE_BINARY_DIR}/screenshots")
endif()
