#include "cli/app.hpp"

#include <sys/stat.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/version.hpp"

namespace intake::cli {

int run(int argc, char** argv) {
  ::umask(077);  // the database, host keys and tenants' files are private to this account
  CLI::App app{"Intake: an SFTP drop box that ingests user-directory CSV files", "intake"};
  app.set_version_flag("--version", std::string("intake ") + kVersion);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  GlobalOptions options;
  app.add_option("--data-dir", options.data_dir, "Data directory (database, host keys, tenants' files)")
      ->envname("INTAKE_DATA_DIR")
      ->default_val("./var");
  app.add_option("--config", options.config_file, "Settings file (default: DATA_DIR/intake.toml if present)");
  app.add_option("--actor", options.actor,
                 "Who is making the change, for the audit trail (default: $SUDO_USER, $USER)");

  Context context(options);
  add_tenant_commands(app, context);
  add_key_commands(app, context);
  add_admin_commands(app, context);
  add_serve_command(app, context);
  add_support_commands(app, context);
  add_outbox_commands(app, context);
  add_hook_commands(app, context);
  add_profile_commands(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const UserError& e) {
    std::cerr << "intake: " << e.what() << "\n";
    return 1;
  } catch (const store::DatabaseError& e) {
    std::cerr << "intake: " << e.what()
              << "\n(check that the data directory is writable and the disk is not full)\n";
    return 1;
  } catch (const std::exception& e) {
    // Anything else (a file system error, memory) still ends with a message and status 1, never an abort.
    std::cerr << "intake: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace intake::cli
