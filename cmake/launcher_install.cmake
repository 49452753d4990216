# SPDX-License-Identifier: Apache-2.0
# Installs the launcher's desktop entry and icon. Included from CMakeLists.txt.
#
# The entry's name, StartupWMClass and Icon are the app id the window sets (kAppId in
# daemon/launcher/web_window.h); tests/launcher/desktop_entry_test.sh checks they agree.
include(GNUInstallDirs)

install(FILES ${CMAKE_CURRENT_LIST_DIR}/../ui/desktop/org.hearth.Hearth.desktop
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/../ui/static/icon.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
        RENAME org.hearth.Hearth.svg)
