# Copy to envs/<env>.tfvars and fill in. Every other variable has a default
# (variables.tf says what each one does).
project_id = "my-segp-project"
region     = "europe-west1"

# Gemini through Vertex AI with the functions' own identity (no key to manage), or
# "api_key" to read GEMINI_API_KEY from Secret Manager.
model_backend   = "vertex"
vertex_location = "global"

# The account Cloud Build runs as: gets what `segp migrate` needs.
deployer_service_account = "segp-deployer@my-segp-project.iam.gserviceaccount.com"

# Backends allowed to call the private evolve function.
evolve_invoker_members = [
  # "serviceAccount:nexus-backend@my-segp-project.iam.gserviceaccount.com",
]

scheduler_mode = "mirror"

function_overrides = {
  api = { max_instances = 10, concurrency = 4 }
}
