// SPDX-License-Identifier: Apache-2.0
#include "secrets/secret_store.h"

#include "secrets/file_store.h"
#include "secrets/secret_service.h"

namespace hearth::secrets {

std::unique_ptr<SecretStore> SelectSecretStore(const SelectOptions& options) {
  std::string shown = options.config_dir;
  if (!options.home.empty() && shown.starts_with(options.home + "/")) {
    shown = "~" + shown.substr(options.home.size());
  }
  if (!options.force_file && SecretServiceOnBus(options.probe_timeout)) {
    if (auto store = MakeSecretServiceStore(options.probe_timeout)) return store;
  }
  return std::make_unique<FileSecretStore>(options.config_dir, shown);
}

}  // namespace hearth::secrets
