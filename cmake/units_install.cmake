# SPDX-License-Identifier: Apache-2.0
# Installs the systemd user units and the D-Bus activation file. Included from CMakeLists.txt.
#
# The files in systemd/ and dbus/ name /usr/bin/hearthd, so they stay valid units that
# tests/units/verify_units.sh can check as they are; the installed copies name the binary under
# the configured prefix (the same files when the prefix is /usr, as for the Debian package).
# Relative destinations follow the prefix: systemd searches /usr/local/lib/systemd/user and
# ~/.local/share/systemd/user too, and the session bus /usr/local/share/dbus-1/services.
include(GNUInstallDirs)

set(HEARTH_UNIT_SOURCES
    systemd/hearth.service
    systemd/hearth.socket
    dbus/org.hearth.Hearth1.service)
set(HEARTH_UNITS_DIR ${CMAKE_BINARY_DIR}/units)
foreach(source IN LISTS HEARTH_UNIT_SOURCES)
  set(path ${CMAKE_CURRENT_LIST_DIR}/../${source})
  file(READ ${path} text)
  string(REPLACE "/usr/bin/hearthd" "${CMAKE_INSTALL_FULL_BINDIR}/hearthd" text "${text}")
  get_filename_component(name ${source} NAME)
  set(old "")
  if(EXISTS ${HEARTH_UNITS_DIR}/${name})
    file(READ ${HEARTH_UNITS_DIR}/${name} old)
  endif()
  if(NOT old STREQUAL text)  # only on change: an unchanged file is not reinstalled
    file(WRITE ${HEARTH_UNITS_DIR}/${name} "${text}")
  endif()
  set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${path})
endforeach()

install(FILES ${HEARTH_UNITS_DIR}/hearth.service ${HEARTH_UNITS_DIR}/hearth.socket
        DESTINATION lib/systemd/user)  # never lib64 or a multiarch dir
install(FILES ${HEARTH_UNITS_DIR}/org.hearth.Hearth1.service
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/services)
